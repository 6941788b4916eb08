package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/scrub"
)

// ReadsCacheFile is the file, in the target path, that keeps what the
// compiled queries use (adapter.ReadChecker.ParseUses) between builds, by
// sha256 of the query's text, for the database's parser that read them:
// a no-change rebuild of 1,000 models parses none of them again. It keeps
// the adapter's verdicts on the functions they call too
// (adapter.FuncCache), so that such a rebuild does not read the
// database's catalog of functions again either.
const ReadsCacheFile = "kiln_reads.json"

// readsCache is ReadsCacheFile's content.
type readsCache struct {
	Parser string                      `json:"parser"` // the adapter and its parser's version (parserKey)
	Uses   map[string]adapter.QueryUse `json:"uses"`
	Funcs  adapter.FuncCache           `json:"funcs"`
}

// readsCacheMax bounds the queries the cache keeps: beyond, it keeps only
// the last build's.
const readsCacheMax = 50000

// readsCacheVersion is the version of kiln's own walkers of the parse
// trees (adapter/duckdb and adapter/postgres readcheck.go: what they
// count as a table read or a function call). Bump it whenever a walker
// finds something it did not, or no longer finds something it did, so
// that the cached findings of the older walker are parsed again.
const readsCacheVersion = 3

// parserKey names the parser of adapter type typ: kiln's walker version
// (readsCacheVersion) and its library's version as linked into kiln.
func parserKey(typ string) string {
	key := fmt.Sprintf("%s walker%d %s", typ, readsCacheVersion, DatabaseVersion())
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if strings.Contains(d.Path, "pg_query") || strings.Contains(d.Path, "duckdb") {
				key += " " + d.Path + "@" + d.Version
			}
		}
	}
	return key
}

// loadReadsCache returns ReadsCacheFile's content, empty when the file is
// missing, damaged or of another parser (parserKey): a cache that cannot
// be read is parsed again, not an error.
func (r *runner) loadReadsCache() *readsCache {
	key := parserKey(r.ex.Type())
	var cache readsCache
	if b, err := os.ReadFile(filepath.Join(r.p.Target, ReadsCacheFile)); err == nil {
		_ = json.Unmarshal(b, &cache) // a damaged cache is parsed again
	}
	if cache.Parser != key || cache.Uses == nil {
		cache = readsCache{Parser: key, Uses: map[string]adapter.QueryUse{}}
	}
	return &cache
}

// saveReadsCache writes cache to ReadsCacheFile; one that cannot be
// written is not kept (parsed again next time).
func (r *runner) saveReadsCache(cache *readsCache) {
	path := filepath.Join(r.p.Target, ReadsCacheFile)
	// A cache that would hold a secret is not written: masked, it would
	// say wrong things about the queries it names.
	if b, err := json.Marshal(cache); err == nil && !scrub.FromEnv().Contains(b) {
		tmp := path + ".tmp"
		if os.WriteFile(tmp, b, 0o644) == nil {
			_ = os.Rename(tmp, path)
		}
	}
}

// queryUses returns what each of sqls uses, from cache or, for the texts
// it does not hold, from rc's parser (one batch), which it adds to cache;
// added reports whether it parsed any (cache is to be saved).
func queryUses(ctx context.Context, rc adapter.ReadChecker, cache *readsCache, sqls []string) (uses []adapter.QueryUse, added bool, err error) {
	out := make([]adapter.QueryUse, len(sqls))
	hashes := make([]string, len(sqls))
	var miss []int
	for i, s := range sqls {
		sum := sha256.Sum256([]byte(s))
		hashes[i] = hex.EncodeToString(sum[:])
		if u, ok := cache.Uses[hashes[i]]; ok {
			out[i] = u
		} else {
			miss = append(miss, i)
		}
	}
	if len(miss) == 0 {
		return out, false, nil
	}
	texts := make([]string, len(miss))
	for j, i := range miss {
		texts[j] = sqls[i]
	}
	parsed, err := rc.ParseUses(ctx, texts)
	if err != nil {
		return nil, false, err
	}
	if len(cache.Uses)+len(miss) > readsCacheMax {
		cache.Uses = map[string]adapter.QueryUse{}
		for i := range sqls {
			cache.Uses[hashes[i]] = out[i]
		}
	}
	for j, i := range miss {
		out[i] = parsed[j]
		cache.Uses[hashes[i]] = parsed[j]
	}
	return out, true, nil
}
