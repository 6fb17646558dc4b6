package api

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/egate/egate/gate"
)

// The pages and their assets are compiled in: a lane works without
// internet, and nothing is fetched from elsewhere.
//
//go:embed static
var staticFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"lower": strings.ToLower,
}).ParseFS(staticFS, "static/*.html", "static/*.tmpl"))

// csp allows our own scripts, styles and data only.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) pageRoutes(m *http.ServeMux) {
	sub, _ := fs.Sub(staticFS, "static")
	assets := http.StripPrefix("/static/", http.FileServerFS(sub))
	m.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".html") || strings.HasSuffix(r.URL.Path, ".tmpl") || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		assets.ServeHTTP(w, r)
	}))
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/status", http.StatusFound)
	})
	m.HandleFunc("GET /kiosk", s.handleKiosk)
	m.HandleFunc("GET /kiosk/state", s.handleKioskState)
	m.HandleFunc("GET /status", s.handleStatusPage)
	m.HandleFunc("GET /login", s.handleLoginPage)
	m.HandleFunc("POST /login", s.handleLogin)
	m.HandleFunc("POST /logout", s.handleLogout)
}

func renderPage(w http.ResponseWriter, code int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "page error: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

// KioskState is what the traveller display shows: GET /kiosk/state. It is
// served without the token: it is what the lane's screen shows anyway.
type KioskState struct {
	Lane    string `json:"lane"`
	State   string `json:"state"`
	Message string `json:"message"`
	Entry   string `json:"entry"`
	Exit    string `json:"exit"`
	Buzzer  bool   `json:"buzzer"`
	Key     string `json:"key"`
}

func (s *Server) kioskState() KioskState {
	st := s.lane.Status()
	in := indicateView(st.Indicate)
	msg := in.Message
	if msg == "" {
		msg = string(gate.MsgWait)
	}
	k := KioskState{Lane: s.o.Lane.ID, State: st.State.String(), Message: msg, Entry: in.Entry, Exit: in.Exit, Buzzer: in.Buzzer}
	k.Key = strings.Join([]string{k.State, k.Message, k.Entry, k.Exit, map[bool]string{true: "b"}[k.Buzzer]}, "|")
	return k
}

func (s *Server) handleKioskState(w http.ResponseWriter, r *http.Request) {
	wait, err := waitParam(r)
	if err != nil {
		problem(w, http.StatusBadRequest, err.Error(), "")
		return
	}
	v := s.waitFor(r.Context(), wait, func(bool) (string, any) {
		k := s.kioskState()
		return k.Key, k
	}, r.URL.Query().Get("have"))
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, v)
}

type kioskI18n struct {
	Default      string                           `json:"default"`
	Languages    []Language                       `json:"languages"`
	Instructions map[gate.Message]map[string]Text `json:"instructions"`
	Chrome       map[string]map[string]string     `json:"chrome"`
}

type kioskPage struct {
	Lang      string
	Default   string
	Languages []Language
	Text      Text
	Message   string
	State     KioskState
	I18n      kioskI18n
	Chrome    map[string]string
	Messages  []string
}

// handleKiosk serves the traveller display. ?lang=es|fr|en sets the
// language the page starts in and returns to after each passage.
func (s *Server) handleKiosk(w http.ResponseWriter, r *http.Request) {
	lang := r.URL.Query().Get("lang")
	if !langOK(lang) {
		lang = Languages[0].Code
	}
	k := s.kioskState()
	p := kioskPage{
		Lang: lang, Default: lang, Languages: Languages, State: k,
		Message: k.Message, Text: instruction(gate.Message(k.Message), lang), Chrome: chrome[lang],
		I18n: kioskI18n{Default: lang, Languages: Languages, Instructions: Instructions, Chrome: chrome},
	}
	for m := range Instructions {
		p.Messages = append(p.Messages, string(m))
	}
	renderPage(w, http.StatusOK, "kiosk.html", p)
}

type statusPage struct {
	Lane    string
	Site    string
	Initial any
}

func (s *Server) handleStatusPage(w http.ResponseWriter, r *http.Request) {
	if tok := r.URL.Query().Get("token"); tok != "" {
		// A link with the token (egatectl status --url): set the cookie
		// and drop the token from the address bar.
		if !s.tokenOK(tok) {
			renderPage(w, http.StatusUnauthorized, "login.html", map[string]any{"Error": "That token is not this lane's.", "TokenFile": s.o.TokenFile})
			return
		}
		s.setCookie(w, r)
		http.Redirect(w, r, "/status", http.StatusSeeOther)
		return
	}
	if ok, _ := s.authorized(r); !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	renderPage(w, http.StatusOK, "status.html", statusPage{Lane: s.o.Lane.ID, Site: s.o.Lane.Site, Initial: s.status(r.Context(), true)})
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	renderPage(w, http.StatusOK, "login.html", map[string]any{"TokenFile": s.o.TokenFile})
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil || !s.tokenOK(strings.TrimSpace(r.PostForm.Get("token"))) {
		time.Sleep(500 * time.Millisecond) // slow down guessing
		renderPage(w, http.StatusUnauthorized, "login.html", map[string]any{"Error": "That token is not this lane's.", "TokenFile": s.o.TokenFile})
		return
	}
	s.setCookie(w, r)
	http.Redirect(w, r, "/status", http.StatusSeeOther)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: s.token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil, MaxAge: int((12 * time.Hour).Seconds()),
	})
}
