package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// env reads typed values out of the environment and collects every bad
// one, each naming its variable, so that Load reports them all at once.
type env struct {
	getenv func(string) string
	errs   []error
}

// get returns the variable's value without surrounding blanks; "" is unset.
func (e *env) get(key string) string { return strings.TrimSpace(e.getenv(key)) }

func (e *env) bad(key, v, want string) {
	e.errs = append(e.errs, fmt.Errorf("%s=%q: want %s", key, v, want))
}

func (e *env) str(key string, dst *string) {
	if v := e.get(key); v != "" {
		*dst = v
	}
}

// dur reads a positive duration.
func (e *env) dur(key string, dst *time.Duration) {
	if v := e.get(key); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			e.bad(key, v, "a positive duration such as 15m or 2h")
			return
		}
		*dst = d
	}
}

func (e *env) boolean(key string, dst *bool) {
	if v := e.get(key); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			e.bad(key, v, "true or false")
			return
		}
		*dst = b
	}
}

// count reads a whole number of at least least; want says what is meant.
func (e *env) count(key string, dst *int, least int, want string) {
	if v := e.get(key); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < least {
			e.bad(key, v, want)
			return
		}
		*dst = n
	}
}

// list reads a comma separated list; set reports whether the variable was.
func (e *env) list(key string, dst *[]string) (set bool) {
	if v := e.get(key); v != "" {
		*dst = splitList(v)
		return true
	}
	return false
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
