package artifact

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// overlayKilnManifest decodes the kiln_manifest.json beside the
// manifest.json at path (KilnManifestFile) into dst, whose "exports" and
// "kiln" fields then hold kiln's data, when that file was written by the
// same invocation as the manifest (invocation, its
// metadata.invocation_id). A manifest without it (dbt's, or one copied
// alone) or beside another invocation's leaves dst as manifest.json
// gave it: an older kiln wrote "exports" and "kiln" in manifest.json
// itself. It returns an error only for a kiln_manifest.json that cannot
// be read or decoded.
func overlayKilnManifest(path, invocation string, dst any) error {
	kpath := filepath.Join(filepath.Dir(path), KilnManifestFile)
	data, err := os.ReadFile(kpath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var head struct {
		Metadata struct {
			InvocationID string `json:"invocation_id"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("%s: invalid kiln manifest: %w", kpath, err)
	}
	if head.Metadata.InvocationID != invocation {
		return nil
	}
	var parts struct {
		Exports json.RawMessage `json:"exports"`
		Kiln    json.RawMessage `json:"kiln"`
	}
	if err := json.Unmarshal(data, &parts); err != nil {
		return fmt.Errorf("%s: invalid kiln manifest: %w", kpath, err)
	}
	obj := map[string]json.RawMessage{}
	if parts.Exports != nil {
		obj["exports"] = parts.Exports
	}
	if parts.Kiln != nil {
		obj["kiln"] = parts.Kiln
	}
	merged, _ := json.Marshal(obj)
	if err := json.Unmarshal(merged, dst); err != nil {
		return fmt.Errorf("%s: invalid kiln manifest: %w", kpath, err)
	}
	return nil
}
