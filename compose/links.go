package compose

import (
	"strconv"
	"strings"
)

// The routes of the public pages, as net/http's ServeMux patterns: the
// one place where the public URL scheme is spelled. Links fills them in
// for mails and pages; web serves them.
const (
	RouteConfirm       = "/confirm/{token}"
	RoutePreferences   = "/preferences/{token}"
	RouteUnsubscribe   = "/unsubscribe/{token}"
	RouteArchive       = "/rundbrief"
	RouteArchived      = "/rundbrief/{id}"
	RouteArchivedFile  = "/rundbrief/{id}/bild/{name}"
	RouteEvents        = "/events"
	RouteEventsFeed    = "/events.ics"
	RouteEvent         = "/events/{slug}"
	RouteEventCalendar = "/events/{slug}/kalender.ics"
	RouteRegister      = "/events/{slug}/register/{token}"
	RouteCancel        = "/events/{slug}/cancel/{token}"
)

// Links are the public addresses of rundbrief's pages under Base, the
// public root (https://rundbrief.example.org, or a path below it). With
// an empty Base, they are paths from the root, for a page's own links.
type Links struct {
	Base string
}

// fill puts the values into route's wildcards, in order.
func (l Links) fill(route string, values ...string) string {
	for _, v := range values {
		i := strings.IndexByte(route, '{')
		j := strings.IndexByte(route, '}')
		route = route[:i] + v + route[j+1:]
	}
	return strings.TrimRight(l.Base, "/") + route
}

// Confirm is the page where a person confirms their subscription.
func (l Links) Confirm(token string) string { return l.fill(RouteConfirm, token) }

// Preferences is a subscriber's own page for their topics and data.
func (l Links) Preferences(token string) string { return l.fill(RoutePreferences, token) }

// Unsubscribe is the page, and the RFC 8058 one-click address, that ends
// a subscription.
func (l Links) Unsubscribe(token string) string { return l.fill(RouteUnsubscribe, token) }

// Event is the public page of the event with slug.
func (l Links) Event(slug string) string { return l.fill(RouteEvent, slug) }

// Archive is the list of the newsletters in the public archive.
func (l Links) Archive() string { return l.Base + RouteArchive }

// Archived is the web page of campaign id in the archive.
func (l Links) Archived(id int64) string { return l.fill(RouteArchived, strconv.FormatInt(id, 10)) }

// ArchivedFile is a picture of campaign id in the archive, by its file name.
func (l Links) ArchivedFile(id int64, name string) string {
	return l.fill(RouteArchivedFile, strconv.FormatInt(id, 10), name)
}

// Events is the overview of the published events.
func (l Links) Events() string { return l.Base + RouteEvents }

// EventsFeed is the iCalendar feed of the published events.
func (l Links) EventsFeed() string { return l.Base + RouteEventsFeed }

// EventCalendar is the .ics file of the event with slug.
func (l Links) EventCalendar(slug string) string { return l.fill(RouteEventCalendar, slug) }

// Register is a subscriber's registration page for the event with slug.
func (l Links) Register(slug, token string) string { return l.fill(RouteRegister, slug, token) }

// Cancel is the page where a subscriber cancels their registration.
func (l Links) Cancel(slug, token string) string { return l.fill(RouteCancel, slug, token) }
