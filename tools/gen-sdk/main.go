// gen-sdk writes the TypeScript, Python and Go SDKs of a Pulumi package from its schema.json with
// Pulumi's own code generators (pkg/v3/codegen at the CLI's version). `pulumi package gen-sdk`
// would do the same through language hosts newer than the ones we can build here.
//
//	gen-sdk SCHEMA_JSON OUT_DIR         writes OUT_DIR/nodejs, OUT_DIR/python, OUT_DIR/go
//	gen-sdk -canonical IN_JSON OUT_JSON  writes the schema as the engine's PackageSpec serialises it,
//	                                     which is what `pulumi package get-schema` prints
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const tool = "pulumi-gen-kernelhardening"

// noLoader: the package references no other package, so any lookup is a schema error.
type noLoader struct{}

func (noLoader) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("schema refers to package %q: only self-contained schemas are supported", pkg)
}

func (l noLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return l.LoadPackage(d.Name, nil)
}

func (l noLoader) LoadPackageReference(pkg string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, fmt.Errorf("schema refers to package %q: only self-contained schemas are supported", pkg)
}

func (l noLoader) LoadPackageReferenceV2(_ context.Context, d *schema.PackageDescriptor) (schema.PackageReference, error) {
	return l.LoadPackageReference(d.Name, nil)
}

// bind parses and validates the schema afresh: each generator mutates the bound package.
func bind(raw []byte) (*schema.Package, error) {
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, err
	}
	pkg, diags, err := schema.BindSpec(spec, noLoader{}, schema.ValidationOptions{})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return pkg, nil
}

func write(dir string, files map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func run(schemaPath, out string) error {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	gens := []struct {
		lang string
		gen  func(*schema.Package) (map[string][]byte, error)
	}{
		{"nodejs", func(p *schema.Package) (map[string][]byte, error) {
			return nodejs.GeneratePackage(tool, p, nil, nil, false, noLoader{})
		}},
		{"python", func(p *schema.Package) (map[string][]byte, error) {
			return python.GeneratePackage(tool, p, nil, noLoader{})
		}},
		{"go", func(p *schema.Package) (map[string][]byte, error) {
			return gogen.GeneratePackage(tool, p, nil)
		}},
	}
	for _, g := range gens {
		pkg, err := bind(raw)
		if err != nil {
			return fmt.Errorf("binding %s: %w", schemaPath, err)
		}
		files, err := g.gen(pkg)
		if err != nil {
			return fmt.Errorf("generating the %s SDK: %w", g.lang, err)
		}
		if err := write(filepath.Join(out, g.lang), files); err != nil {
			return err
		}
	}
	return nil
}

// canonical re-encodes a schema through schema.PackageSpec with the CLI's json.MarshalIndent.
func canonical(in, out string) error {
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields() // a field the spec does not know would be lost silently
	if err := dec.Decode(&spec); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	text, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(text, '\n'), 0o644)
}

func main() {
	var err error
	switch {
	case len(os.Args) == 4 && os.Args[1] == "-canonical":
		err = canonical(os.Args[2], os.Args[3])
	case len(os.Args) == 3:
		err = run(os.Args[1], os.Args[2])
	default:
		fmt.Fprintln(os.Stderr, "usage: gen-sdk SCHEMA_JSON OUT_DIR | gen-sdk -canonical IN_JSON OUT_JSON")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-sdk:", err)
		os.Exit(1)
	}
}
