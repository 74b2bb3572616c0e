package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
)

// pageNames are the templates/*.html pages; each is parsed with layout.html.
var pageNames = []string{"signin", "home", "shift", "wakeups", "wakeup_confirm", "forbidden", "reports", "rooms", "room", "calls", "calls_resolve_confirm", "devices",
	"report", "report_print", "dayclose",
	"print", "print_confirm", "print_job", "copy", "copy_session",
	"fax", "fax_job", "fax_inbox", "fax_detail", "toolarge",
	"operators", "operator", "operator_pin", "pin_change"}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"money": func(minor int64, currency string) string {
			sign := ""
			if minor < 0 {
				sign, minor = "-", -minor
			}
			return fmt.Sprintf("%s%d.%02d %s", sign, minor/100, minor%100, currency)
		},
	}
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		files := append([]string{"templates/layout.html"}, pageParts[name]...)
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, append(files, "templates/"+name+".html")...)
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// view is what every page template gets.
type view struct {
	Lang    string
	Session *session // nil on the sign-in page
	CSRF    string   // the form token: the session's, or the sign-in form's
	Data    map[string]any
	loc     *time.Location
	Alarms  []alarm // open emergencies: a banner on every page of the switchboard's roles
	Path    string  // the page's path, where an action on the banner comes back to
}

// T translates a message key into the page's language.
func (v view) T(key string) string { return translate(v.Lang, key) }

// Time shows an instant in the site's zone.
func (v view) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(v.loc).Format("2006-01-02 15:04")
}

// Clock shows an instant's time of day in the site's zone.
func (v view) Clock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(v.loc).Format("15:04")
}

// OtherLang is the language the switch offers.
func (v view) OtherLang() string {
	if v.Lang == langZH {
		return langEN
	}
	return langZH
}

// render writes a page; a template error is logged and answered 500
// without a half-written page (it is rendered to a buffer first).
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, s *session, data map[string]any) {
	v := view{Lang: c.lang(w, r), Session: s, Data: data, loc: c.o.Location, Path: r.URL.Path}
	if s != nil {
		v.CSRF = s.csrf
		if s.Calls() {
			if a, err := c.alarms(r.Context()); err != nil {
				c.o.Log.Error("emergencies", "err", err)
			} else {
				v.Alarms = a
			}
		}
	} else if tok, ok := data["SigninToken"].(string); ok {
		v.CSRF = tok
	}
	var b bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&b, "layout", v); err != nil {
		c.o.Log.Error("page not rendered", "page", name, "err", err)
		http.Error(w, "the page could not be shown", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// lang is the page's language: ?lang= (remembered in a cookie), else the
// cookie, else English.
func (c *Console) lang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		if l = normLang(l); l != "" {
			http.SetCookie(w, c.langCookie(l))
			return l
		}
	}
	if ck, err := r.Cookie(langCookie); err == nil {
		if l := normLang(ck.Value); l != "" {
			return l
		}
	}
	return langEN
}

// langCookie remembers the language for a year; it is not a secret, but
// follows the other cookies' flags.
func (c *Console) langCookie(l string) *http.Cookie {
	return c.cookie(langCookie, l, 365*24*3600)
}

func normLang(l string) string {
	switch strings.ToLower(l) {
	case "en":
		return langEN
	case "zh-hant", "zh-tw", "zh-hk", "zh":
		return langZH
	}
	return ""
}
