package journalcore

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestFieldName(t *testing.T) {
	cases := map[string]string{
		"user_id":     "USER_ID",
		"HTTP.status": "HTTP_STATUS",
		"req-id":      "REQ_ID",
		"_private":    "X_PRIVATE",
		"1st":         "X1ST",
		"":            "X",
		"msg":         "MSG",
		"message":     "X_MESSAGE",
		"priority":    "X_PRIORITY",
		"zap_level":   "X_ZAP_LEVEL",
		"caf\u00e9":   "CAF__",
		"a234567890123456789012345678901234567890123456789012345678901234567890": "A234567890123456789012345678901234567890123456789012345678901234",
	}
	for in, want := range cases {
		if got := FieldName(in); got != want {
			t.Errorf("FieldName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPriority(t *testing.T) {
	want := map[zapcore.Level]journal.Priority{
		zapcore.DebugLevel: 7, zapcore.InfoLevel: 6, zapcore.WarnLevel: 4, zapcore.ErrorLevel: 3,
		zapcore.DPanicLevel: 2, zapcore.PanicLevel: 2, zapcore.FatalLevel: 2,
	}
	for l, p := range want {
		if got := Priority(l); got != p {
			t.Errorf("Priority(%s) = %d, want %d", l, got, p)
		}
	}
}

func TestText(t *testing.T) {
	cases := []struct {
		in   interface{}
		want string
	}{
		{"s", "s"}, {true, "true"}, {int64(-3), "-3"}, {uint8(7), "7"}, {1.5, "1.5"}, {1e21, "1000000000000000000000"},
		{math.NaN(), "NaN"}, {math.Inf(1), "+Inf"}, {1500 * time.Millisecond, "1.5"},
		{time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), "2026-01-02T03:04:05.000000006Z"},
		{map[string]interface{}{"b": 1, "a": []int{1, 2}}, `{"a":[1,2],"b":1}`}, {errors.New("boom"), "boom"},
	}
	for _, c := range cases {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%#v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestWrite(t *testing.T) {
	type sent struct {
		msg  string
		pri  journal.Priority
		vars map[string]string
	}
	var got []sent
	core := New(zapcore.DebugLevel, "svc").WithSend(func(m string, p journal.Priority, v map[string]string) error {
		got = append(got, sent{m, p, v})
		return nil
	})
	log := zap.New(core, zap.AddCaller()).Named("api").With(zap.String("tenant", "t1"))
	log.Warn("slow request", zap.Int("http.status", 200), zap.Duration("took", 2*time.Second))
	log.Debug("detail")
	if len(got) != 2 {
		t.Fatalf("sent %d entries, want 2", len(got))
	}
	e := got[0]
	if e.msg != "slow request" || e.pri != 4 {
		t.Errorf("MESSAGE/PRIORITY = %q/%d", e.msg, e.pri)
	}
	for k, want := range map[string]string{
		"TENANT": "t1", "HTTP_STATUS": "200", "TOOK": "2", "ZAP_LEVEL": "warn", "ZAP_LOGGER": "api",
		"SYSLOG_IDENTIFIER": "svc",
	} {
		if e.vars[k] != want {
			t.Errorf("%s = %q, want %q", k, e.vars[k], want)
		}
	}
	if e.vars["CODE_FILE"] == "" || e.vars["CODE_LINE"] == "" || e.vars["CODE_FUNC"] != "github.com/noble-gohost/noble.gohost/examples/zap-service/journalcore.TestWrite" {
		t.Errorf("caller fields: %v", e.vars)
	}
	if got[1].pri != 7 {
		t.Errorf("debug PRIORITY = %d", got[1].pri)
	}
}
