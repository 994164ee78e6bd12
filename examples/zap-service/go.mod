module github.com/noble-gohost/noble.gohost/examples/zap-service

go 1.23

require (
	github.com/coreos/go-systemd/v22 v22.7.0
	go.uber.org/zap v1.28.0
)

require go.uber.org/multierr v1.10.0 // indirect
