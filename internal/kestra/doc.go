package kestra

import (
	"encoding/json"
	"fmt"
)

// The flow's YAML, in Kestra's key order. Field names follow Kestra's
// documentation: https://kestra.io/docs/workflow-components (flow, inputs,
// tasks, errors, triggers, concurrency, retries) and the plugin pages of
// the types above.

type flowDoc struct {
	ID          string            `yaml:"id"`
	Namespace   string            `yaml:"namespace"`
	Description string            `yaml:"description,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Concurrency *concurrency      `yaml:"concurrency,omitempty"`
	Inputs      []input           `yaml:"inputs,omitempty"`
	Tasks       []any             `yaml:"tasks"`            // the Dag, then the commit
	Errors      []any             `yaml:"errors,omitempty"` // the rollback, then a log
	Triggers    []trigger         `yaml:"triggers"`
	SLA         []sla             `yaml:"sla,omitempty"`
}

// sla is a flow SLA (https://kestra.io/docs/workflow-components/sla); kiln
// writes a MAX_DURATION one.
type sla struct {
	ID       string `yaml:"id"`
	Type     string `yaml:"type"`
	Behavior string `yaml:"behavior"`
	Duration string `yaml:"duration"`
}

// concurrency queues a scheduled execution while the previous one runs.
type concurrency struct {
	Limit    int    `yaml:"limit"`
	Behavior string `yaml:"behavior"`
}

// input is a flow input (https://kestra.io/docs/workflow-components/inputs):
// min and max for INT and FLOAT, values for SELECT, validator (a Java
// regular expression) for STRING.
type input struct {
	ID          string   `yaml:"id"`
	Type        string   `yaml:"type"`
	Description string   `yaml:"description,omitempty"`
	Required    *bool    `yaml:"required,omitempty"`
	Defaults    any      `yaml:"defaults,omitempty"`
	Min         any      `yaml:"min,omitempty"`
	Max         any      `yaml:"max,omitempty"`
	Values      []string `yaml:"values,omitempty"`
	Validator   string   `yaml:"validator,omitempty"`
}

type dagTask struct {
	ID          string     `yaml:"id"`
	Type        string     `yaml:"type"`
	Description string     `yaml:"description,omitempty"`
	Concurrent  int        `yaml:"concurrent"`
	Tasks       []dagEntry `yaml:"tasks"`
}

type dagEntry struct {
	Task      shellTask `yaml:"task"`
	DependsOn []string  `yaml:"dependsOn,omitempty"`
}

type shellTask struct {
	ID              string            `yaml:"id"`
	Type            string            `yaml:"type"`
	Description     string            `yaml:"description,omitempty"`
	AllowFailure    bool              `yaml:"allowFailure,omitempty"`
	TaskRunner      runner            `yaml:"taskRunner"`
	Image           string            `yaml:"containerImage,omitempty"`
	WarningOnStdErr *bool             `yaml:"warningOnStdErr,omitempty"`
	Env             map[string]string `yaml:"env,omitempty"`
	Commands        []string          `yaml:"commands"`
	OutputFiles     []string          `yaml:"outputFiles,omitempty"`
	Retry           *retry            `yaml:"retry,omitempty"`
}

type runner struct {
	Type    string   `yaml:"type"`
	Volumes []string `yaml:"volumes,omitempty"`
}

// retry is Kestra's task retry; maxAttempts is, in Kestra's words, the
// "number of retries performed before the system stops retrying".
type retry struct {
	Type           string `yaml:"type"`
	Interval       string `yaml:"interval"`
	MaxInterval    string `yaml:"maxInterval"`
	MaxAttempts    int    `yaml:"maxAttempts"`
	WarningOnRetry bool   `yaml:"warningOnRetry"`
}

type logTask struct {
	ID      string `yaml:"id"`
	Type    string `yaml:"type"`
	Level   string `yaml:"level"`
	Message string `yaml:"message"`
}

type trigger struct {
	ID                     string `yaml:"id"`
	Type                   string `yaml:"type"`
	Cron                   string `yaml:"cron"`
	Timezone               string `yaml:"timezone,omitempty"`
	RecoverMissedSchedules string `yaml:"recoverMissedSchedules,omitempty"`
}

// jsonText encodes a list or mapping var as JSON, the text a JSON input
// takes as its default. YAML mappings decode with any keys; JSON needs
// strings.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(stringKeys(v))
	if err != nil {
		return "", fmt.Errorf("cannot be written as JSON: %v", err)
	}
	return string(b), nil
}

func stringKeys(v any) any {
	switch v := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[fmt.Sprint(k)] = stringKeys(x)
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = stringKeys(x)
		}
		return m
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = stringKeys(x)
		}
		return out
	}
	return v
}
