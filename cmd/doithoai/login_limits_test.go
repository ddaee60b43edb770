package main

import (
	"fmt"
	"net/http"
	"testing"
)

// loginAPI tries login over the API and returns the status.
func loginAPI(c *client, login, password string) int {
	c.t.Helper()
	return c.Do("POST", "/api/v1/session", map[string]string{"login": login, "password": password}, nil).StatusCode
}

// TestLoginLockoutSparesTheOwner: wrong passwords from elsewhere, even from
// many addresses, must not lock the account's owner out.
func TestLoginLockoutSparesTheOwner(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "")

	t.Run("OKAttackerElsewhere", func(t *testing.T) {
		MustCreateUser(t, n, "moderator", "mod-owner", "correct horse battery")
		attacker := newClientFrom(t, n, "127.0.0.41")
		for i := 0; i < 10; i++ {
			status := loginAPI(attacker, "mod-owner", fmt.Sprintf("guess %d", i))
			if want := map[bool]int{true: 401, false: 429}[i < 5]; status != want {
				t.Fatalf("attacker's attempt %d: %d, want %d", i+1, status, want)
			}
		}
		owner := newClientFrom(t, n, "127.0.0.42")
		if status := loginAPI(owner, "mod-owner", "correct horse battery"); status != http.StatusOK {
			t.Fatalf("the owner, from another address, after the attack: %d, want 200", status)
		}
	})

	t.Run("OKDeviceCookieAfterDistributedAttack", func(t *testing.T) {
		MustCreateUser(t, n, "moderator", "mod-target", "correct horse battery")
		owner := newClientFrom(t, n, "127.0.0.50")
		owner.MustLogin("mod-target", "correct horse battery") // the owner's device is now known
		refused := 0
		for a := 0; a < 20; a++ {
			attacker := newClientFrom(t, n, fmt.Sprintf("127.0.0.%d", 60+a))
			for i := 0; i < 5; i++ {
				switch status := loginAPI(attacker, "mod-target", fmt.Sprintf("guess %d.%d", a, i)); status {
				case 401:
				case 429:
					refused++
				default:
					t.Fatalf("attack from 127.0.0.%d: %d", 60+a, status)
				}
			}
		}
		if refused == 0 {
			t.Fatal("100 wrong passwords from 20 addresses were all tried")
		}
		stranger := newClientFrom(t, n, "127.0.0.90")
		if status := loginAPI(stranger, "mod-target", "correct horse battery"); status != http.StatusTooManyRequests {
			t.Fatalf("an unknown client during the attack: %d, want 429 (the untrusted budget is spent)", status)
		}
		if status := loginAPI(owner, "mod-target", "correct horse battery"); status != http.StatusOK {
			t.Fatalf("the owner's device during the attack: %d, want 200", status)
		}
	})

	t.Run("ErrDeviceHasItsOwnBudget", func(t *testing.T) {
		MustCreateUser(t, n, "moderator", "mod-device", "correct horse battery")
		owner := newClientFrom(t, n, "127.0.0.51")
		owner.MustLogin("mod-device", "correct horse battery")
		for i := 0; i < 5; i++ {
			if status := loginAPI(owner, "mod-device", "typo"); status != 401 {
				t.Fatalf("typo %d from the device: %d", i+1, status)
			}
		}
		if status := loginAPI(owner, "mod-device", "correct horse battery"); status != 429 {
			t.Fatalf("the device after 5 failures: %d, want 429", status)
		}
		// The device's failures are its own: another client still gets in.
		if status := loginAPI(newClientFrom(t, n, "127.0.0.52"), "mod-device", "correct horse battery"); status != 200 {
			t.Fatalf("another client: %d, want 200", status)
		}
	})
}
