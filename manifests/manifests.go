// Package manifests turns a checked spec into the Kubernetes objects that
// run the image the way the frontend built it to run: a Deployment whose pod
// meets the restricted Pod Security Standard, and a ClusterIP Service. It is
// pure: the same spec and options give the same bytes.
package manifests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/org/safe-frontend/policy"
	"github.com/org/safe-frontend/spec"
)

// Labels every object carries; the selector uses only LabelName, so a new
// version rolls out under the same Deployment and Service.
const (
	LabelName    = "app.kubernetes.io/name"
	LabelVersion = "app.kubernetes.io/version"
)

// File names of the generated documents (the frontend's manifests target
// writes these; `safe manifest` prints them in this order).
const (
	DeploymentFile = "deployment.yaml"
	ServiceFile    = "service.yaml"
)

// DefaultUID and DefaultGID are the image's default user (llbgen.DefaultUser).
const (
	DefaultUID = 65532
	DefaultGID = 65532
)

// Options are what the spec cannot know.
type Options struct {
	// Image is the pushed image by digest: REF@sha256:... (a tag may stay
	// in front of the digest). Required: a tag alone can be moved, and with
	// imagePullPolicy IfNotPresent nodes would keep running whatever they
	// pulled first.
	Image string
	// Namespace of the objects; empty leaves it to the kubectl context.
	Namespace string
	// Platforms the image was built for (--platform). One pins the pod with
	// a nodeSelector on kubernetes.io/os and kubernetes.io/arch; several
	// become a required node affinity listing them, so no node the image
	// has no variant for is picked. None sets nothing: a build without
	// --platform targets its builder's platform, which need not be the one
	// that built the pushed image.
	Platforms []ocispecs.Platform
}

// Result holds the generated objects.
type Result struct {
	Deployment *appsv1.Deployment
	// Service is nil when the spec declares no run.port.
	Service *corev1.Service
	// Notes say what the spec could not express as is (a renamed object, a
	// label moved to annotations, env read from a Secret); for stderr.
	Notes []string
}

// File is one generated YAML document.
type File struct {
	Name string
	Data []byte
}

// ParseImage checks that ref names an image by digest and returns it fully
// qualified (docker.io/library/... spelled out), so no node resolves a short
// name against a registry list of its own.
func ParseImage(ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", fmt.Errorf("the image is required by digest, e.g. registry.example.com/app@sha256:<64 hex digits>; " +
			"buildx prints it (--metadata-file, containerimage.digest) and `docker buildx imagetools inspect REF` shows it")
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", fmt.Errorf("image %q is not a valid reference: %w", ref, err)
	}
	if _, ok := named.(reference.Digested); !ok {
		return "", fmt.Errorf("image %q has no digest; a tag can be moved, so the manifests name the image by digest: write %s@sha256:<digest> (buildx prints it with --metadata-file; `docker buildx imagetools inspect %s` shows it)", ref, ref, ref)
	}
	return named.String(), nil
}

// CheckNamespace refuses what cannot name a namespace; "" is no namespace.
func CheckNamespace(ns string) error {
	if ns == "" {
		return nil
	}
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return fmt.Errorf("namespace %q is not a valid namespace name: %s", ns, strings.Join(errs, "; "))
	}
	return nil
}

// Generate builds the objects for s, which should have passed policy.Check
// without errors. Values the policy would refuse are reported as errors
// here too, never guessed.
func Generate(s *spec.Spec, o Options) (*Result, error) {
	if s == nil {
		return nil, fmt.Errorf("no spec")
	}
	image, err := ParseImage(o.Image)
	if err != nil {
		return nil, err
	}
	r := &Result{}
	name, err := objectName(s.Name)
	if err != nil {
		return nil, err
	}
	if name != s.Name {
		r.note("name %q is not a Kubernetes object name; the objects are named %q", s.Name, name)
	}
	if err := CheckNamespace(o.Namespace); err != nil {
		return nil, err
	}
	meta := r.objectMeta(s, name, o.Namespace)
	selector := map[string]string{LabelName: name}

	pod, err := r.podSpec(s, name, image)
	if err != nil {
		return nil, err
	}
	if err := placement(pod, o.Platforms); err != nil {
		return nil, err
	}
	r.Deployment = &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: maps.Clone(meta.Labels), Annotations: maps.Clone(meta.Annotations)},
				Spec:       *pod,
			},
		},
	}
	if s.Run.Port > 0 {
		r.Service = &corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: *meta.DeepCopy(),
			Spec: corev1.ServiceSpec{
				Type:     corev1.ServiceTypeClusterIP,
				Selector: selector,
				Ports: []corev1.ServicePort{{
					Name:       portName(s),
					Protocol:   corev1.ProtocolTCP,
					Port:       int32(s.Run.Port),
					TargetPort: intstr.FromString(portName(s)),
				}},
			},
		}
	}
	return r, nil
}

func (r *Result) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// objectName makes the spec name a DNS-1035 label, which a Service name must
// be (and which is also a valid Deployment name): lower case, '-' for '.'
// and '_', at most 63 characters, starting with a letter.
func objectName(n string) (string, error) {
	b := []byte(strings.ToLower(n))
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			b[i] = '-'
		}
	}
	out := strings.Trim(string(b), "-")
	if len(out) > validation.DNS1035LabelMaxLength {
		out = strings.TrimRight(out[:validation.DNS1035LabelMaxLength], "-")
	}
	if errs := validation.IsDNS1035Label(out); len(errs) > 0 {
		return "", fmt.Errorf("name %q cannot name a Kubernetes Service (it must start with a letter and use letters, digits and '-'): rename the app", n)
	}
	return out, nil
}

// objectMeta puts spec labels that are valid Kubernetes labels on the
// objects and the rest (long or free-text OCI values) in annotations.
func (r *Result) objectMeta(s *spec.Spec, name, namespace string) metav1.ObjectMeta {
	labels := map[string]string{}
	annotations := map[string]string{}
	put := func(k, v, from string) {
		if len(validation.IsQualifiedName(k)) > 0 {
			r.note("%s %q is not a valid Kubernetes label or annotation key; it is left out of the manifests", from, k)
			return
		}
		if len(validation.IsValidLabelValue(v)) > 0 {
			annotations[k] = v
			return
		}
		labels[k] = v
	}
	for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
		if k == LabelName || k == LabelVersion {
			continue // generated below; the selector depends on the name
		}
		put(k, s.Labels[k], "label")
	}
	if s.Version != "" {
		put(LabelVersion, s.Version, "version")
	}
	labels[LabelName] = name
	m := metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels}
	if len(annotations) > 0 {
		m.Annotations = annotations
	}
	return m
}

func portName(s *spec.Spec) string {
	if s.Run.Health != nil && s.Run.Health.HTTP != "" {
		return "http"
	}
	return "tcp"
}

func (r *Result) podSpec(s *spec.Spec, name, image string) (*corev1.PodSpec, error) {
	uid, gid, hasGID, err := user(s.Run.User)
	if err != nil {
		return nil, err
	}
	grace, err := seconds("run.stopGracePeriod", s.Run.StopGracePeriod, policy.DefaultStopGracePeriod)
	if err != nil {
		return nil, err
	}
	c := corev1.Container{
		Name:                     name,
		Image:                    image,
		ImagePullPolicy:          corev1.PullIfNotPresent,
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			ReadOnlyRootFilesystem:   ptr(true),
		},
		Env: r.env(s, name),
	}
	if res, err := resources(s.Run.Resources); err != nil {
		return nil, err
	} else if res != nil {
		c.Resources = *res
	}
	if s.Run.Port > 0 {
		c.Ports = []corev1.ContainerPort{{Name: portName(s), ContainerPort: int32(s.Run.Port), Protocol: corev1.ProtocolTCP}}
		// The drain delay only matters to an app that gets traffic: the
		// endpoints controller removes the pod while it sleeps.
		c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{
			Sleep: &corev1.SleepAction{Seconds: int64(policy.DrainDelay / time.Second)},
		}}
	}
	if err := probes(s, &c); err != nil {
		return nil, err
	}
	volumes, err := writable(s.Run.Writable, &c)
	if err != nil {
		return nil, err
	}

	sc := &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr(true),
		RunAsUser:      ptr(uid),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	if hasGID {
		sc.RunAsGroup = ptr(gid)
		sc.FSGroup = ptr(gid)
	}
	return &corev1.PodSpec{
		AutomountServiceAccountToken:  ptr(false),
		SecurityContext:               sc,
		TerminationGracePeriodSeconds: ptr(grace),
		Containers:                    []corev1.Container{c},
		Volumes:                       volumes,
	}, nil
}

// Well-known node labels the kubelet sets from the node's GOOS and GOARCH,
// the same names OCI platforms use.
const (
	labelOS   = "kubernetes.io/os"
	labelArch = "kubernetes.io/arch"
)

// placement keeps the pod on nodes whose OS and architecture the image was
// built for. A variant (arm/v7) has no node label, so only the
// architecture is matched.
func placement(pod *corev1.PodSpec, ps []ocispecs.Platform) error {
	var oses, arches []string
	for _, p := range ps {
		if p.OS == "" || p.Architecture == "" {
			return fmt.Errorf("platform %q names no OS or architecture", platforms.Format(p))
		}
		if !slices.Contains(oses, p.OS) {
			oses = append(oses, p.OS)
		}
		if !slices.Contains(arches, p.Architecture) {
			arches = append(arches, p.Architecture)
		}
	}
	slices.Sort(oses)
	slices.Sort(arches)
	switch {
	case len(ps) == 0:
	case len(oses) == 1 && len(arches) == 1:
		pod.NodeSelector = map[string]string{labelOS: oses[0], labelArch: arches[0]}
	default:
		pod.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
					{Key: labelOS, Operator: corev1.NodeSelectorOpIn, Values: oses},
					{Key: labelArch, Operator: corev1.NodeSelectorOpIn, Values: arches},
				}}},
			},
		}}
	}
	return nil
}

// user reads run.user ("UID[:GID]", default 65532:65532). Without a GID
// the runtime picks the image's group for the UID, so none is set.
func user(u string) (uid, gid int64, hasGID bool, err error) {
	if u == "" {
		return DefaultUID, DefaultGID, true, nil
	}
	us, gs, hasGID := strings.Cut(u, ":")
	uid, err = strconv.ParseInt(us, 10, 64)
	if err == nil && hasGID {
		gid, err = strconv.ParseInt(gs, 10, 64)
	}
	if err != nil || uid < 0 || gid < 0 || uid > math.MaxUint32 || gid > math.MaxUint32 {
		return 0, 0, false, fmt.Errorf("run.user %q is not a numeric UID:GID", u)
	}
	if uid == 0 {
		return 0, 0, false, fmt.Errorf("run.user %q is root; the pod runs with runAsNonRoot and would not start", u)
	}
	return uid, gid, hasGID, nil
}

// env lists run.env sorted by name. Kubernetes expands $(VAR) in env values,
// the image config does not: every '$' is doubled so the pod sees the same
// value as `docker run`. A secret-looking key left empty is the spec's way
// of saying "injected at run time": it is read from the Secret named like
// the app.
func (r *Result) env(s *spec.Spec, name string) []corev1.EnvVar {
	var out []corev1.EnvVar
	var fromSecret []string
	for _, k := range slices.Sorted(maps.Keys(s.Run.Env)) {
		v := s.Run.Env[k]
		if v == "" && policy.LooksSecret(k) {
			out = append(out, corev1.EnvVar{Name: k, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: name},
				Key:                  k,
			}}})
			fromSecret = append(fromSecret, k)
			continue
		}
		out = append(out, corev1.EnvVar{Name: k, Value: strings.ReplaceAll(v, "$", "$$")})
	}
	if len(fromSecret) > 0 {
		r.note("run.env %s: read from Secret %q (create it, e.g. kubectl create secret generic %s --from-literal=%s=...)",
			strings.Join(fromSecret, ", "), name, name, fromSecret[0])
	}
	return out
}

// resources: requests from the spec; the memory limit equals the request
// (the pod is never OOM-killed for using what it asked for, nor allowed to
// take more); no CPU limit, which would only throttle.
func resources(res *spec.Resources) (*corev1.ResourceRequirements, error) {
	if res == nil || (res.CPU == "" && res.Memory == "") {
		return nil, nil
	}
	out := &corev1.ResourceRequirements{Requests: corev1.ResourceList{}}
	if res.CPU != "" {
		q, err := resource.ParseQuantity(res.CPU)
		if err != nil || q.Sign() <= 0 {
			return nil, fmt.Errorf("run.resources.cpu %q is not a positive Kubernetes quantity", res.CPU)
		}
		out.Requests[corev1.ResourceCPU] = q
	}
	if res.Memory != "" {
		q, err := resource.ParseQuantity(res.Memory)
		if err != nil || q.Sign() <= 0 {
			return nil, fmt.Errorf("run.resources.memory %q is not a positive Kubernetes quantity", res.Memory)
		}
		out.Requests[corev1.ResourceMemory] = q
		out.Limits = corev1.ResourceList{corev1.ResourceMemory: q}
	}
	return out, nil
}

// probes mirror the image's HEALTHCHECK. Readiness and liveness use its
// interval, timeout and retries. The startup probe polls every
// startInterval (default 1s, Kubernetes' minimum), so a pod is ready as
// soon as the app answers, and gives up after the time Docker would take to
// call the container unhealthy: startPeriod plus retries intervals.
// Liveness and readiness wait for it.
func probes(s *spec.Spec, c *corev1.Container) error {
	h := s.Run.Health
	if h == nil || s.Run.Port == 0 {
		return nil
	}
	interval, err := seconds("run.health.interval", h.Interval, policy.DefaultHealthInterval)
	if err != nil {
		return err
	}
	timeout, err := seconds("run.health.timeout", h.Timeout, policy.DefaultHealthTimeout)
	if err != nil {
		return err
	}
	start, err := seconds("run.health.startPeriod", h.StartPeriod, policy.DefaultHealthStartPeriod)
	if err != nil {
		return err
	}
	startEvery, err := seconds("run.health.startInterval", h.StartInterval, policy.DefaultHealthStartInterval)
	if err != nil {
		return err
	}
	startEvery = min(startEvery, interval)
	retries := int64(h.Retries)
	if retries == 0 {
		retries = policy.DefaultHealthRetries
	}
	var handler corev1.ProbeHandler
	port := intstr.FromString(portName(s))
	switch {
	case h.HTTP != "":
		handler.HTTPGet = &corev1.HTTPGetAction{Path: h.HTTP, Port: port, Scheme: corev1.URISchemeHTTP}
	case h.TCP:
		handler.TCPSocket = &corev1.TCPSocketAction{Port: port}
	default:
		return nil
	}
	probe := func(period, failures int64) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler:     handler,
			PeriodSeconds:    int32(period),
			TimeoutSeconds:   int32(timeout),
			SuccessThreshold: 1,
			FailureThreshold: int32(failures),
		}
	}
	giveUp := start + retries*interval
	c.StartupProbe = probe(startEvery, (giveUp+startEvery-1)/startEvery)
	c.ReadinessProbe = probe(interval, retries)
	c.LivenessProbe = probe(interval, retries)
	return nil
}

// seconds reads a spec duration as whole seconds, rounded up (probes and
// grace periods count in seconds, and rounding down could make 500ms 0).
func seconds(key, v string, def time.Duration) (int64, error) {
	d := def
	if v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil || d <= 0 {
			return 0, fmt.Errorf("%s %q is not a positive duration", key, v)
		}
	}
	n := int64((d + time.Second - 1) / time.Second)
	if n > math.MaxInt32 {
		return 0, fmt.Errorf("%s %q is too long", key, v)
	}
	return n, nil
}

// writable mounts an emptyDir at every declared path; the volume is named
// after the path ("/var/cache/app" -> "var-cache-app").
func writable(paths []string, c *corev1.Container) ([]corev1.Volume, error) {
	var vols []corev1.Volume
	used := map[string]bool{}
	for i, p := range paths {
		if !path.IsAbs(p) || path.Clean(p) != p || p == "/" {
			return nil, fmt.Errorf("run.writable[%d] %q is not a clean absolute path below /", i, p)
		}
		n, _ := objectName(strings.TrimPrefix(p, "/"))
		if n == "" || used[n] {
			n = fmt.Sprintf("writable-%d", i)
		}
		used[n] = true
		vols = append(vols, corev1.Volume{Name: n, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: n, MountPath: p})
	}
	return vols, nil
}

func ptr[T any](v T) *T { return &v }

// Files renders the objects as YAML, one file per object: deployment.yaml,
// then service.yaml when there is a Service.
func (r *Result) Files() ([]File, error) {
	dep, err := Marshal(r.Deployment)
	if err != nil {
		return nil, fmt.Errorf("rendering the Deployment: %w", err)
	}
	files := []File{{Name: DeploymentFile, Data: dep}}
	if r.Service != nil {
		svc, err := Marshal(r.Service)
		if err != nil {
			return nil, fmt.Errorf("rendering the Service: %w", err)
		}
		files = append(files, File{Name: ServiceFile, Data: svc})
	}
	return files, nil
}

// YAML is every file as one multi-document stream, separated by "---".
func (r *Result) YAML() ([]byte, error) {
	files, err := r.Files()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for i, f := range files {
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(f.Data)
	}
	return b.Bytes(), nil
}

// Marshal renders one object as YAML with sorted keys. The empty status a
// typed object always carries is dropped: it is the server's to write.
func Marshal(obj any) ([]byte, error) {
	dt, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(dt))
	dec.UseNumber() // keep integers integers
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	delete(m, "status")
	if sp, ok := m["spec"].(map[string]any); ok {
		if st, ok := sp["strategy"].(map[string]any); ok && len(st) == 0 {
			delete(sp, "strategy") // the default rolling update
		}
	}
	dt, err = json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return yaml.JSONToYAML(dt)
}
