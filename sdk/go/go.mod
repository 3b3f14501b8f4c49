module example.invalid/kernel-hardening-as-code/pulumi-kernelhardening/sdk/go

go 1.25

require github.com/pulumi/pulumi/sdk/v3 v3.30.0
