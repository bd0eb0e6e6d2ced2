package web

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// README.md's table of HTTP endpoints names each path with the methods it
// takes (GET, and so HEAD, when it names none); the server takes those and
// no other, and says so in Allow.
func TestReadmeEndpoints(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "### HTTP endpoints\n")
	if !ok {
		t.Fatal(`README.md has no "### HTTP endpoints" section; keep it or change this test`)
	}
	table, _, _ = strings.Cut(strings.TrimLeft(table, "\n"), "\n\n")
	rowRE := regexp.MustCompile("^\\| `(/[^`]*)` \\|(.*)$")
	methodRE := regexp.MustCompile("`(GET|HEAD|POST|PUT|DELETE|PATCH)`")
	fx := newFixture(t)
	h := New(fx.deps)
	rows := 0
	for _, line := range strings.Split(table, "\n") {
		m := rowRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		rows++
		path := m[1]
		var methods []string
		for _, mm := range methodRE.FindAllStringSubmatch(m[2], -1) {
			methods = append(methods, mm[1])
		}
		if len(methods) == 0 {
			methods = []string{"GET"}
		}
		if slices.Contains(methods, "GET") && !slices.Contains(methods, "HEAD") {
			methods = append(methods, "HEAD")
		}
		for _, method := range methods {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
			if rec.Code == http.StatusNotFound || rec.Code == http.StatusMethodNotAllowed {
				t.Errorf("README.md says %s takes %s, but it answers %d", path, method, rec.Code)
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("DELETE", path, nil))
		allow := strings.Split(rec.Header().Get("Allow"), ", ")
		slices.Sort(allow)
		slices.Sort(methods)
		if rec.Code != http.StatusMethodNotAllowed || !slices.Equal(allow, methods) {
			t.Errorf("README.md says %s takes %s; DELETE answers %d with Allow %q", path, strings.Join(methods, ", "), rec.Code, rec.Header().Get("Allow"))
		}
	}
	if rows == 0 {
		t.Fatal("README.md's table of HTTP endpoints has no rows this test can read")
	}
}
