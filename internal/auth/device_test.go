package auth

import (
	"strings"
	"testing"
	"time"
)

func TestDeviceCookie(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	d := deviceSigner{key: []byte("0123456789abcdef0123456789abcdef"), now: func() time.Time { return now }}
	v := d.issue("mod1")
	id, ok := d.verify(v, "mod1")
	if !ok || id == "" {
		t.Fatalf("own cookie refused: %q", v)
	}
	if v2 := d.issue("mod1"); v2 == v {
		t.Fatal("two cookies share a device id")
	}
	other := deviceSigner{key: []byte("another key, another deployment!"), now: d.now}
	tampered := strings.Replace(v, ".", ".x", 1)
	for name, bad := range map[string]string{
		"other login": d.issue("mod2"), "other key": other.issue("mod1"), "tampered": tampered,
		"empty": "", "garbage": "a.b.c", "huge": strings.Repeat("a", 4096),
	} {
		if _, ok := d.verify(bad, "mod1"); ok {
			t.Errorf("%s: accepted", name)
		}
	}
	later := deviceSigner{key: d.key, now: func() time.Time { return now.Add(deviceTTL) }}
	if _, ok := later.verify(v, "mod1"); ok {
		t.Error("an expired cookie is accepted")
	}
}
