// Package journalcore is a zapcore.Core that writes each zap entry to the systemd journal as native fields.
//
// The mapping (docs/journald.md states it, and noble.gohost.journal_query applies the same one to zap JSON read
// from stdout):
//
//	zap level     -> PRIORITY: debug 7, info 6, warn 4, error 3, dpanic 2, panic 2, fatal 2
//	              -> ZAP_LEVEL: the level's lower-case name ("info")
//	message       -> MESSAGE
//	caller        -> CODE_FILE (the file path as zap reports it), CODE_LINE (decimal)
//	caller func   -> CODE_FUNC (the fully qualified Go function name)
//	logger name   -> ZAP_LOGGER (only when the logger is named)
//	stack trace   -> ZAP_STACKTRACE (only when zap records one)
//	SYSLOG_IDENTIFIER: the identifier given to New (default: the program's base name)
//	other fields  -> FieldName(key) = value as text (see FieldName and Text)
package journalcore

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
	"go.uber.org/zap/zapcore"
)

// MaxFieldName is the longest field name journald stores; longer names are cut to it.
const MaxFieldName = 64

// Reserved are the field names the core sets itself. A zap field whose mapped name is one of them gets the
// prefix "X_" so that it can never overwrite them ("priority" -> X_PRIORITY).
var Reserved = map[string]bool{
	"MESSAGE": true, "PRIORITY": true, "CODE_FILE": true, "CODE_LINE": true, "CODE_FUNC": true,
	"SYSLOG_IDENTIFIER": true, "ZAP_LEVEL": true, "ZAP_LOGGER": true, "ZAP_STACKTRACE": true, "ZAP_TS": true,
}

// Priority maps a zap level to a syslog priority (the journal's PRIORITY field).
func Priority(l zapcore.Level) journal.Priority {
	switch l {
	case zapcore.DebugLevel:
		return journal.PriDebug
	case zapcore.InfoLevel:
		return journal.PriInfo
	case zapcore.WarnLevel:
		return journal.PriWarning
	case zapcore.ErrorLevel:
		return journal.PriErr
	case zapcore.DPanicLevel, zapcore.PanicLevel, zapcore.FatalLevel:
		return journal.PriCrit
	}
	if l < zapcore.DebugLevel {
		return journal.PriDebug
	}
	return journal.PriCrit
}

// FieldName maps a zap field key to a journal field name:
//  1. every byte of the UTF-8 key that is an ASCII lower-case letter becomes upper-case;
//  2. every other byte that is not A-Z, 0-9 or "_" becomes "_";
//  3. a result that is empty or starts with a digit or "_" gets the prefix "X" (journald keeps names starting
//     with "_" for its trusted fields and rejects names starting with a digit);
//  4. a result that is one of Reserved gets the prefix "X_";
//  5. the result is cut to MaxFieldName bytes.
func FieldName(key string) string {
	b := make([]byte, 0, len(key)+2)
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 'a' && c <= 'z':
			b = append(b, c-'a'+'A')
		case (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_':
			b = append(b, c)
		default:
			b = append(b, '_')
		}
	}
	if len(b) == 0 || b[0] == '_' || (b[0] >= '0' && b[0] <= '9') {
		b = append([]byte{'X'}, b...)
	}
	name := string(b)
	if Reserved[name] {
		name = "X_" + name
	}
	if len(name) > MaxFieldName {
		name = name[:MaxFieldName]
	}
	return name
}

// Text renders a value of zapcore.MapObjectEncoder as the journal stores it: strings as they are, booleans as
// "true"/"false", integers in decimal, floats as the zap JSON encoder writes them ("NaN", "+Inf", "-Inf" or the
// shortest decimal without exponent), durations in seconds as a float (zap's production encoder), times as
// RFC 3339 with nanoseconds in UTC, anything else as compact JSON (object keys sorted).
func Text(v interface{}) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.FormatInt(int64(x), 10)
	case int8:
		return strconv.FormatInt(int64(x), 10)
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint:
		return strconv.FormatUint(uint64(x), 10)
	case uint8:
		return strconv.FormatUint(uint64(x), 10)
	case uint16:
		return strconv.FormatUint(uint64(x), 10)
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case uintptr:
		return strconv.FormatUint(uint64(x), 10)
	case float32:
		return floatText(float64(x), 32)
	case float64:
		return floatText(x, 64)
	case time.Duration:
		return floatText(x.Seconds(), 64)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case error:
		return x.Error()
	}
	out, err := json.Marshal(v)
	if err != nil {
		return "!marshal: " + err.Error()
	}
	return string(out)
}

func floatText(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// SendFunc is journal.Send; tests replace it.
type SendFunc func(message string, priority journal.Priority, vars map[string]string) error

// Core writes zap entries to the journal.
type Core struct {
	zapcore.LevelEnabler
	identifier string
	context    map[string]string
	send       SendFunc
}

// New returns a core for the entries enab enables; identifier becomes SYSLOG_IDENTIFIER ("" means the program's
// base name).
func New(enab zapcore.LevelEnabler, identifier string) *Core {
	if identifier == "" {
		identifier = filepath.Base(os.Args[0])
	}
	return &Core{LevelEnabler: enab, identifier: identifier, context: map[string]string{}, send: journal.Send}
}

// WithSend returns a copy of the core that sends with f (for tests).
func (c *Core) WithSend(f SendFunc) *Core {
	clone := *c
	clone.send = f
	return &clone
}

// Enabled reports whether journald's native socket is there (journal.Enabled).
func Enabled() bool { return journal.Enabled() }

func encode(dst map[string]string, fields []zapcore.Field) {
	enc := zapcore.NewMapObjectEncoder()
	for i := range fields {
		fields[i].AddTo(enc)
	}
	for k, v := range enc.Fields {
		dst[FieldName(k)] = Text(v)
	}
}

// With adds structured context to a copy of the core.
func (c *Core) With(fields []zapcore.Field) zapcore.Core {
	clone := *c
	clone.context = make(map[string]string, len(c.context)+len(fields))
	for k, v := range c.context {
		clone.context[k] = v
	}
	encode(clone.context, fields)
	return &clone
}

// Check adds the core to the checked entry when the level is enabled.
func (c *Core) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(ent.Level) {
		return ce.AddCore(ent, c)
	}
	return ce
}

// Vars returns the journal fields of an entry, MESSAGE and PRIORITY excepted (journal.Send adds those).
func (c *Core) Vars(ent zapcore.Entry, fields []zapcore.Field) map[string]string {
	vars := make(map[string]string, len(c.context)+len(fields)+6)
	for k, v := range c.context {
		vars[k] = v
	}
	encode(vars, fields)
	vars["SYSLOG_IDENTIFIER"] = c.identifier
	vars["ZAP_LEVEL"] = ent.Level.String()
	if ent.LoggerName != "" {
		vars["ZAP_LOGGER"] = ent.LoggerName
	}
	if ent.Caller.Defined {
		vars["CODE_FILE"] = ent.Caller.File
		vars["CODE_LINE"] = strconv.Itoa(ent.Caller.Line)
		if ent.Caller.Function != "" {
			vars["CODE_FUNC"] = ent.Caller.Function
		}
	}
	if ent.Stack != "" {
		vars["ZAP_STACKTRACE"] = ent.Stack
	}
	return vars
}

// Write sends one entry.
func (c *Core) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	return c.send(ent.Message, Priority(ent.Level), c.Vars(ent, fields))
}

// Sync does nothing: every entry is one datagram, written when it is logged.
func (c *Core) Sync() error { return nil }
