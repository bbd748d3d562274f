// otelcol-agm: the smallest OpenTelemetry Collector tests/python/test_collector.py needs: the OTLP
// receiver and the contrib file exporter (what the pipeline received as OTLP/JSON, one request
// per line). Built by build.sh; versions pinned by go.mod and go.sum: v0.162.0, as the receiver
// from v0.163.0 on needs go.opentelemetry.io/collector/internal/statusutil, whose module zips
// proxy.golang.org refuses (403).
package main

import (
	"context"
	"log"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry"
	"go.uber.org/zap"
)

// The collector's own telemetry: its log on stderr (zap's production format, JSON lines, info
// and above), no internal metrics or traces, so nothing listens beyond the receiver's ports.
// (The stock otelconftelemetry factory would also serve the collector's own metrics on the fixed
// port localhost:8888.)
type telemetryConfig struct{}

func telemetryFactory() telemetry.Factory {
	return telemetry.NewFactory(
		func() component.Config { return &telemetryConfig{} },
		telemetry.WithCreateLogger(func(_ context.Context, set telemetry.LoggerSettings, _ component.Config) (*zap.Logger, component.ShutdownFunc, error) {
			logger, err := set.BuildZapLogger(zap.NewProductionConfig())
			if err != nil {
				return nil, nil, err
			}
			return logger, func(context.Context) error { _ = logger.Sync(); return nil }, nil
		}),
	)
}

func components() (otelcol.Factories, error) {
	var err error
	factories := otelcol.Factories{Telemetry: telemetryFactory()}
	if factories.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](otlpreceiver.NewFactory()); err != nil {
		return factories, err
	}
	factories.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](fileexporter.NewFactory())
	return factories, err
}

func main() {
	settings := otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "otelcol-agm", Description: "OpenTelemetry Collector for agentmetrics' end-to-end test", Version: "0.162.0"},
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			// "env", the default scheme of ${VAR} in a configuration, must be there
			ResolverSettings: confmap.ResolverSettings{ProviderFactories: []confmap.ProviderFactory{
				fileprovider.NewFactory(), envprovider.NewFactory()}},
		},
	}
	if err := otelcol.NewCommand(settings).Execute(); err != nil {
		log.Fatal(err)
	}
}
