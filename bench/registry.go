package main

import (
	"fmt"
	"net/http"
	"strings"
)

// manifestTypes are what a registry cache's tag can point at.
var manifestTypes = []string{
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v2+json",
}

// deleteManifest removes repo:tag from the (plain-HTTP) registry: the
// registry API deletes a manifest by digest, which HEAD on the tag gives.
// A tag already gone is no error.
func deleteManifest(registry, repo, tag string) error {
	req, err := http.NewRequest(http.MethodHead, fmt.Sprintf("http://%s/v2/%s/manifests/%s", registry, repo, tag), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", strings.Join(manifestTypes, ", "))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("HEAD %s/%s:%s: %w", registry, repo, tag, err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	dgst := resp.Header.Get("Docker-Content-Digest")
	if resp.StatusCode != http.StatusOK || dgst == "" {
		return fmt.Errorf("HEAD %s/%s:%s: %s, digest %q", registry, repo, tag, resp.Status, dgst)
	}
	req, err = http.NewRequest(http.MethodDelete, fmt.Sprintf("http://%s/v2/%s/manifests/%s", registry, repo, dgst), nil)
	if err != nil {
		return err
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("DELETE %s/%s@%s: %w", registry, repo, dgst, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("DELETE %s/%s@%s: %s (is deletion enabled in the registry's configuration?)", registry, repo, dgst, resp.Status)
	}
	return nil
}
