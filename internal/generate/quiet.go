package generate

import (
	"reflect"
	"time"
	_ "time/tzdata" // businessZone on systems without a zone database
)

// The quiet background of the incidents and baseline scenarios is the ordinary background with
// the activity that the built-in detection pack (internal/rules/builtin) alerts on taken out or
// kept under its thresholds, so that on baseline the whole pack fires nothing and on incidents
// every alert comes from a planted situation (plant.go):
//
//   - no configuration or permission changes that a rule reports on any occurrence: no
//     workspaceConfEdit (a SOURCE export instead), no secret putAcl (getAcl), no admin grants or
//     admins-group changes (workspace ACL changes instead, also in the first day's SCIM sync), no
//     global init script or cluster policy edits;
//   - all-purpose clusters always auto-terminate, within 120 minutes;
//   - personal access tokens live 60 days (the long-lived-token rule flags more than 90);
//   - tables under main.hr (the sensitive-table rule's default pattern) are read only inside its
//     default business hours, 07:00–19:00 on weekdays in America/New_York.
//
// Everything else (failed logins at 3%, UC denials of non-HR users, IP access list denials from
// scattered addresses, System-User automation, downloads, deletes) stays, at rates below the
// per-user, per-IP and per-workspace thresholds of the rules. The seed and steady scenarios are
// not quiet and keep their output byte for byte.

// Defaults of the built-in sensitive-table rule that the quiet background respects.
const (
	sensitivePrefix   = "main.hr."
	businessStartHour = 7
	businessEndHour   = 19
	businessZone      = "America/New_York"
)

// businessLocation is businessZone, from the tzdata embedded in the binary when the system has
// none; Go's tzdata always has it.
var businessLocation = func() *time.Location {
	loc, err := time.LoadLocation(businessZone)
	if err != nil {
		panic("BUG: " + err.Error())
	}
	return loc
}()

// quietTokenLifetime is how long tokens created in the quiet background live.
const quietTokenLifetime = 60 * 24 * time.Hour

// quietActions is the background mix without global init script and cluster policy edits.
var quietActions = func() []action {
	var q []action
	skip := reflect.ValueOf(initScriptsOrPolicies).Pointer()
	for _, a := range actions {
		if reflect.ValueOf(a.gen).Pointer() != skip {
			q = append(q, a)
		}
	}
	return q
}()

var quietActionCum = cumulative(quietActions, func(a action) float64 { return a.weight })

func sensitiveTable(name string) bool {
	return len(name) >= len(sensitivePrefix) && name[:len(sensitivePrefix)] == sensitivePrefix
}

// offHours reports whether t is outside the sensitive-table rule's default business hours.
func offHours(t time.Time) bool {
	local := t.In(businessLocation)
	if wd := local.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return true
	}
	return local.Hour() < businessStartHour || local.Hour() >= businessEndHour
}

// quietAutoterm maps the background's auto-termination choices to ones the
// cluster-without-autotermination rule accepts (on, at most 120 minutes).
func quietAutoterm(m string) string {
	switch m {
	case "0":
		return "60"
	case "180":
		return "120"
	}
	return m
}
