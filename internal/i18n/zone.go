package i18n

import "time"

// Vietnam is where our users live (ICT, UTC+7, no daylight saving): times
// are shown, days counted and office hours read in it, whatever the
// server's zone. From the tz database when the machine has one.
var Vietnam = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
		return loc
	}
	return time.FixedZone("ICT", 7*3600)
}()
