package policy

import (
	"path"
	"strings"

	"github.com/moby/patternmatcher"
)

// secretWords make a name look like a secret when one of them is a whole
// word of it (the same vocabulary as Docker's SecretsUsedInArgOrEnv check).
var secretWords = map[string]bool{
	"apikey": true, "auth": true, "credential": true, "credentials": true, "key": true,
	"password": true, "pword": true, "passwd": true, "secret": true, "token": true,
}

// publicWords mark a secret-looking name as harmless: it names a public
// key, a file holding the secret, or a version.
var publicWords = map[string]bool{"public": true, "file": true, "version": true}

// LooksSecret reports whether an env or build-arg name looks like it holds a
// secret: one of its '_'-separated words, compared case-insensitively, is a
// secret word and none is public, file or version. API_TOKEN and DB_PASSWORD
// do; TOKEN_FILE, PUBLIC_KEY and KEYBOARD do not.
func LooksSecret(name string) bool { return secretWordsIn(name, "_") }

// LabelLooksSecret is LooksSecret for label keys, whose words are also
// separated by '.' and '-' (com.example.api-key).
func LabelLooksSecret(key string) bool { return secretWordsIn(key, "_.-") }

func secretWordsIn(name, seps string) bool {
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return strings.ContainsRune(seps, r) })
	secret := false
	for _, w := range words {
		if publicWords[w] {
			return false
		}
		if secretWords[w] {
			secret = true
		}
	}
	return secret
}

// DefaultExcludes are the build-context patterns (.dockerignore syntax) the
// frontend always drops, because they usually hold secrets: the git
// directory, dotenv files, private keys and certificates, and npm configs
// (registry tokens) at any depth.
// include: entries re-admit paths (see ContextExcludes).
var DefaultExcludes = []string{
	".git",
	".git/**",
	".env",
	".env*",
	"*.pem",
	"*.key",
	"**/.env*",
	"**/*.pem",
	"**/*.key",
	// npm's per-project config holds registry tokens; pass it as a secret.
	".npmrc",
	"**/.npmrc",
}

var defaultMatcher = func() *patternmatcher.PatternMatcher {
	pm, err := patternmatcher.New(DefaultExcludes)
	if err != nil {
		panic("policy: bad default exclude pattern: " + err.Error())
	}
	return pm
}()

// Excluded reports whether the default excludes drop a context path (or a
// directory above it). A glob in p is matched as written, so
// "certs/*.pem" counts as excluded.
func Excluded(p string) bool {
	p = cleanContextPath(p)
	if p == "" || p == "." {
		return false
	}
	ok, err := defaultMatcher.MatchesOrParentMatches(p)
	return err == nil && ok
}

// Included reports whether a context path reaches the build: not dropped
// by the default excludes, or re-admitted by one of the include: entries.
func Included(p string, include []string) bool {
	pm, err := patternmatcher.New(ContextExcludes(include))
	if err != nil {
		return !Excluded(p)
	}
	ok, err := pm.MatchesOrParentMatches(cleanContextPath(p))
	return err == nil && !ok
}

// ContextExcludes is the exclude list for the build context of a spec:
// DefaultExcludes followed by a "!" re-include for every include: entry.
// Entries that escape the context are skipped (policy refuses them).
func ContextExcludes(include []string) []string {
	out := append([]string(nil), DefaultExcludes...)
	for _, inc := range include {
		if strings.TrimSpace(inc) == "" || escapes(inc) {
			continue
		}
		c := cleanContextPath(inc)
		out = append(out, "!"+c)
		// A re-admitted directory brings its contents, which the
		// recursive patterns would otherwise drop one by one.
		if !strings.ContainsAny(c, "*?[") {
			out = append(out, "!"+c+"/**")
		}
	}
	return out
}

// matchingExclude names the first default pattern that drops p.
func matchingExclude(p string) string {
	p = cleanContextPath(p)
	for _, pat := range DefaultExcludes {
		if ok, err := patternmatcher.MatchesOrParentMatches(p, []string{pat}); err == nil && ok {
			return pat
		}
	}
	return "default excludes"
}

func cleanContextPath(p string) string {
	p = strings.TrimSpace(strings.ReplaceAll(p, `\`, "/"))
	if p == "" {
		return ""
	}
	return strings.TrimLeft(path.Clean(p), "/")
}
