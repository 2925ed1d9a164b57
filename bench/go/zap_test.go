// Go's zap doing what bench/log_bench.cpp measures for kopiur and spdlog: a filtered-out debug
// event with 3 fields, and an enabled event with 3 context fields (zap's With, the span's place)
// and 3 event fields, encoded as JSON and as console text into a sink that discards the bytes.
package gobench

import (
	"io"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func newZap(enc zapcore.Encoder) *zap.Logger {
	core := zapcore.NewCore(enc, zapcore.AddSync(io.Discard), zapcore.InfoLevel)
	return zap.New(core).With(zap.String("kind", "Backup"), zap.String("namespace", "default"),
		zap.String("name", "nightly"))
}

func encoderConfig() zapcore.EncoderConfig {
	cfg := zap.NewProductionEncoderConfig()
	cfg.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	return cfg
}

func BenchmarkZapFilteredOutDebug(b *testing.B) {
	log := newZap(zapcore.NewJSONEncoder(encoderConfig()))
	for i := 0; i < b.N; i++ {
		log.Debug("backup finished", zap.Int64("bytes", int64(i)), zap.Int("files", 42),
			zap.String("repo", "s3://bucket/path"))
	}
}

func benchInfo(b *testing.B, log *zap.Logger) {
	for i := 0; i < b.N; i++ {
		log.Info("backup finished", zap.Int64("bytes", int64(i)), zap.Int("files", 42),
			zap.String("repo", "s3://bucket/path"))
	}
}

func BenchmarkZapInfoJSON(b *testing.B) {
	benchInfo(b, newZap(zapcore.NewJSONEncoder(encoderConfig())))
}

func BenchmarkZapInfoConsole(b *testing.B) {
	benchInfo(b, newZap(zapcore.NewConsoleEncoder(encoderConfig())))
}
