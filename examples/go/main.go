// The quick start in Go: one explicit provider that names the host once, the KernelHardening
// component and a Sysctl on it. No Go language host is served to this project's machines, so this
// program is built and vetted by the tests, not run by the engine here.
//
//	pulumi config set host 203.0.113.10; pulumi config set --secret privateKey < ~/.ssh/id_ed25519
//	pulumi config set hostKey "$(ssh-keyscan -t ed25519 203.0.113.10 | cut -d' ' -f2-)"
package main

import (
	kh "example.invalid/kernel-hardening-as-code/pulumi-kernelhardening/sdk/go/kernelhardening"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		web, err := kh.NewProvider(ctx, "web-1", &kh.ProviderArgs{
			Connection: &kh.ConnectionArgs{
				Host:       pulumi.String(cfg.Require("host")),
				PrivateKey: cfg.RequireSecret("privateKey"),
				HostKey:    pulumi.String(cfg.Require("hostKey")),
			},
		})
		if err != nil {
			return err
		}
		hardening, err := kh.NewKernelHardening(ctx, "web-1", &kh.KernelHardeningArgs{
			Profile:     kh.ProfileBaseline,
			AllowOneWay: pulumi.Bool(true),
		}, pulumi.Provider(web))
		if err != nil {
			return err
		}
		if _, err := kh.NewSysctl(ctx, "network", &kh.SysctlArgs{
			File:    pulumi.String("90-network.conf"),
			Entries: pulumi.StringMap{"net.ipv4.conf.all.rp_filter": pulumi.String("1")},
		}, pulumi.Provider(web)); err != nil {
			return err
		}
		ctx.Export("rebootRequired", hardening.RebootRequired)
		return nil
	})
}
