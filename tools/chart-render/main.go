// chart-render renders a Helm 3 chart the way `helm template` does, for the chart tests: Helm is
// not packaged by Debian, so this reimplements the part of Helm the kopiur chart relies on, on the
// same libraries Helm uses (text/template, sprig, sigs.k8s.io/yaml, gojsonschema):
//
//   - values: the chart's values.yaml, then each -f file, then each --set key=value (dotted path;
//     several separated by commas, "\," for a literal one; true/false become booleans and
//     integers numbers, as Helm's --set does; no list indexes), deep-merged; numbers read from
//     YAML are float64, as in Helm;
//   - values.schema.json validates the merged values before anything renders;
//   - the template set: every file under templates/ parsed together, sprig's functions without
//     env/expandenv, plus Helm's include, tpl, required, fail, toYaml, fromYaml, toJson, fromJson,
//     lookup (always empty, as in `helm template`); missing keys render empty;
//   - the objects .Values .Release .Chart .Capabilities .Files .Template;
//   - Chart.yaml's kubeVersion is checked against --kube-version (default v1.30.0);
//   - output: one "---" document per non-empty manifest with a "# Source:" line, crds/ first with
//     --include-crds; templates whose name starts with "_" and NOTES.txt are not output.
//
// Errors print like Helm's ("Error: execution error at (kopiur/templates/x.yaml:3:4): message")
// and exit 1. Build: GO111MODULE=off GOPATH=/usr/share/gocode go build (see tools/chart-render/build.sh).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/semver"
	sprig "github.com/Masterminds/sprig"
	"github.com/xeipuuv/gojsonschema"
	"sigs.k8s.io/yaml"
)

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

type options struct {
	chartDir    string
	release     string
	namespace   string
	valueFiles  stringList
	sets        stringList
	includeCRDs bool
	kubeVersion string
	apiVersions stringList
}

func parseArgs(args []string) (options, error) {
	o := options{release: "release-name", namespace: "default", kubeVersion: "v1.30.0"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("flag %s needs a value", a)
			}
			i++
			return args[i], nil
		}
		var err error
		var v string
		switch a {
		case "--chart":
			o.chartDir, err = next()
		case "--release", "--name":
			o.release, err = next()
		case "--namespace", "-n":
			o.namespace, err = next()
		case "-f", "--values":
			v, err = next()
			o.valueFiles = append(o.valueFiles, v)
		case "--set":
			v, err = next()
			o.sets = append(o.sets, v)
		case "--include-crds":
			o.includeCRDs = true
		case "--kube-version":
			o.kubeVersion, err = next()
		case "--api-versions", "-a":
			v, err = next()
			o.apiVersions = append(o.apiVersions, v)
		default:
			return o, fmt.Errorf("unknown argument %q", a)
		}
		if err != nil {
			return o, err
		}
	}
	if o.chartDir == "" {
		return o, errors.New("--chart DIR is required")
	}
	return o, nil
}

func main() {
	o, err := parseArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\nusage: chart-render --chart DIR [--release NAME] [--namespace NS] [-f values.yaml]... [--set k=v]... [--include-crds] [--api-versions group/version]...\n", err)
		os.Exit(2)
	}
	out, err := render(o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		os.Exit(1)
	}
	os.Stdout.WriteString(out)
}

// readYAMLMap reads YAML into the generic form Helm uses (through JSON: numbers are float64).
func readYAMLMap(data []byte) (map[string]interface{}, error) {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]interface{}{}
	}
	return m, nil
}

// mergeInto deep-merges src over dst (maps merge, everything else replaces), as Helm coalesces
// user values over chart defaults. A null from the user deletes the key.
func mergeInto(dst, src map[string]interface{}) {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				mergeInto(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// splitAssignments splits one --set argument at unescaped commas ("a=1,b=2"), as Helm does;
// "\," is a literal comma.
func splitAssignments(arg string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(arg); i++ {
		switch {
		case arg[i] == '\\' && i+1 < len(arg) && arg[i+1] == ',':
			cur.WriteByte(',')
			i++
		case arg[i] == ',':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(arg[i])
		}
	}
	return append(out, cur.String())
}

// setValue applies one --set a.b.c=value (Helm's strvals for scalars: bools, int64, strings).
func setValue(values map[string]interface{}, assignment string) error {
	eq := strings.Index(assignment, "=")
	if eq <= 0 {
		return fmt.Errorf("--set %q: expected key=value", assignment)
	}
	if strings.ContainsAny(assignment[:eq], "[]") {
		return fmt.Errorf("--set %q: list indexes are not supported by chart-render; use -f", assignment)
	}
	keys := strings.Split(assignment[:eq], ".")
	raw := assignment[eq+1:]
	var value interface{} = raw
	switch {
	case raw == "true":
		value = true
	case raw == "false":
		value = false
	case raw == "null":
		value = nil
	default:
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil && (raw == "0" || !strings.HasPrefix(raw, "0")) {
			value = n
		}
	}
	m := values
	for _, k := range keys[:len(keys)-1] {
		child, ok := m[k].(map[string]interface{})
		if !ok {
			child = map[string]interface{}{}
			m[k] = child
		}
		m = child
	}
	last := keys[len(keys)-1]
	if value == nil {
		delete(m, last)
	} else {
		m[last] = value
	}
	return nil
}

type chartMeta struct {
	APIVersion  string `json:"apiVersion"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	AppVersion  string `json:"appVersion"`
	Description string `json:"description"`
	Type        string `json:"type"`
	KubeVersion string `json:"kubeVersion"`
}

// Files is .Files: the chart's non-template files, read on demand.
type Files struct{ root string }

func (f Files) Get(name string) string {
	data, err := os.ReadFile(filepath.Join(f.root, filepath.FromSlash(name)))
	if err != nil {
		return ""
	}
	return string(data)
}

func (f Files) GetBytes(name string) []byte { return []byte(f.Get(name)) }

type versionSet []string

func (v versionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

func loadValues(o options) (map[string]interface{}, error) {
	data, err := os.ReadFile(filepath.Join(o.chartDir, "values.yaml"))
	if err != nil {
		return nil, err
	}
	values, err := readYAMLMap(data)
	if err != nil {
		return nil, fmt.Errorf("values.yaml: %v", err)
	}
	for _, file := range o.valueFiles {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		user, err := readYAMLMap(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", file, err)
		}
		mergeInto(values, user)
	}
	for _, s := range o.sets {
		for _, assignment := range splitAssignments(s) {
			if err := setValue(values, assignment); err != nil {
				return nil, err
			}
		}
	}
	return values, nil
}

// validateSchema checks values against values.schema.json, with Helm's error layout.
func validateSchema(chartDir, chartName string, values map[string]interface{}) error {
	schema, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	// Through JSON, as Helm does, so the validator sees plain JSON types.
	doc, err := json.Marshal(values)
	if err != nil {
		return err
	}
	result, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(schema), gojsonschema.NewBytesLoader(doc))
	if err != nil {
		return fmt.Errorf("values.schema.json: %v", err)
	}
	if result.Valid() {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "values don't meet the specifications of the schema(s) in the following chart(s):\n%s:\n", chartName)
	for _, e := range result.Errors() {
		fmt.Fprintf(&b, "- %s\n", e)
	}
	return errors.New(strings.TrimSuffix(b.String(), "\n"))
}

// checkKubeVersion refuses a cluster version outside Chart.yaml's kubeVersion, as Helm does.
func checkKubeVersion(meta chartMeta, kubeVersion string) error {
	if meta.KubeVersion == "" {
		return nil
	}
	constraint, err := semver.NewConstraint(meta.KubeVersion)
	if err != nil {
		return fmt.Errorf("Chart.yaml: kubeVersion %q: %v", meta.KubeVersion, err)
	}
	version, err := semver.NewVersion(kubeVersion)
	if err != nil {
		return fmt.Errorf("--kube-version %q: %v", kubeVersion, err)
	}
	if !constraint.Check(version) {
		return fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", meta.KubeVersion, kubeVersion)
	}
	return nil
}

func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func render(o options) (string, error) {
	metaData, err := os.ReadFile(filepath.Join(o.chartDir, "Chart.yaml"))
	if err != nil {
		return "", err
	}
	var meta chartMeta
	if err := yaml.Unmarshal(metaData, &meta); err != nil {
		return "", fmt.Errorf("Chart.yaml: %v", err)
	}
	if err := checkKubeVersion(meta, o.kubeVersion); err != nil {
		return "", err
	}
	values, err := loadValues(o)
	if err != nil {
		return "", err
	}
	if err := validateSchema(o.chartDir, meta.Name, values); err != nil {
		return "", err
	}

	t := template.New("gotpl").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	includedNames := map[string]int{}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		if includedNames[name] > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		includedNames[name]++
		var buf bytes.Buffer
		err := t.ExecuteTemplate(&buf, name, data)
		includedNames[name]--
		return buf.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		clone, err := t.Clone()
		if err != nil {
			return "", err
		}
		parsed, err := clone.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = parsed.Execute(&buf, data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return v, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, errors.New(msg)
		}
		return v, nil
	}
	funcs["fail"] = func(msg string) (string, error) { return "", errors.New(msg) }
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["toJson"] = func(v interface{}) string {
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	}
	funcs["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	t.Funcs(funcs)

	templatesDir := filepath.Join(o.chartDir, "templates")
	var names []string
	err = filepath.Walk(templatesDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(o.chartDir, p)
		name := path.Join(meta.Name, filepath.ToSlash(rel))
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if _, err := t.New(name).Parse(string(data)); err != nil {
			return fmt.Errorf("parse error in %s", strings.TrimPrefix(err.Error(), "template: "))
		}
		names = append(names, name)
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(names)

	top := map[string]interface{}{
		"Values": values,
		"Release": map[string]interface{}{
			"Name": o.release, "Namespace": o.namespace, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Chart": map[string]interface{}{
			"Name": meta.Name, "Version": meta.Version, "AppVersion": meta.AppVersion,
			"Description": meta.Description, "Type": meta.Type, "APIVersion": meta.APIVersion,
			"KubeVersion": meta.KubeVersion,
		},
		"Capabilities": map[string]interface{}{
			"KubeVersion": map[string]interface{}{"Version": o.kubeVersion, "GitVersion": o.kubeVersion},
			"APIVersions": versionSet(o.apiVersions),
		},
		"Files": Files{root: o.chartDir},
	}

	var out strings.Builder
	if o.includeCRDs {
		crds, _ := filepath.Glob(filepath.Join(o.chartDir, "crds", "*.yaml"))
		sort.Strings(crds)
		for _, c := range crds {
			data, err := os.ReadFile(c)
			if err != nil {
				return "", err
			}
			rel, _ := filepath.Rel(o.chartDir, c)
			fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", path.Join(meta.Name, filepath.ToSlash(rel)), strings.TrimSpace(string(data)))
		}
	}
	for _, name := range names {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") || base == "NOTES.txt" {
			continue
		}
		top["Template"] = map[string]interface{}{"Name": name, "BasePath": path.Join(meta.Name, "templates")}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, top); err != nil {
			return "", cleanExecError(err)
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		for _, doc := range splitDocuments(text) {
			fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", name, doc)
		}
	}
	return out.String(), nil
}

// splitDocuments splits a rendered template at "---" lines and drops empty documents (only
// whitespace and comments), as Helm does.
func splitDocuments(text string) []string {
	var docs []string
	for _, part := range strings.Split("\n"+text, "\n---") {
		doc := strings.TrimSpace(part)
		empty := true
		for _, line := range strings.Split(doc, "\n") {
			l := strings.TrimSpace(line)
			if l != "" && !strings.HasPrefix(l, "#") {
				empty = false
				break
			}
		}
		if !empty {
			docs = append(docs, doc)
		}
	}
	return docs
}

// cleanExecError phrases a template error as Helm does for `fail` and `required`.
func cleanExecError(err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "template: ")
	// "kopiur/templates/x.yaml:3:4: executing \"...\" at <...>: error calling fail: MESSAGE"
	if i := strings.LastIndex(msg, "error calling "); i >= 0 {
		location := msg
		if j := strings.Index(msg, ": executing"); j >= 0 {
			location = msg[:j]
		}
		rest := msg[i+len("error calling "):]
		if k := strings.Index(rest, ": "); k >= 0 {
			rest = rest[k+2:]
		}
		return fmt.Errorf("execution error at (%s): %s", location, rest)
	}
	return errors.New(msg)
}
