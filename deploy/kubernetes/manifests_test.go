// Package kubernetes_test checks the kustomize base and overlays without a
// cluster: every manifest and every rendered object decodes strictly into
// the Kubernetes and Prometheus Operator API types, the PrometheusRule is
// the shipped rules file, and the ports, paths and flags are the ones the
// touchprobe binary serves and accepts. It is a module of its own so that
// touchprobe itself does not depend on the Kubernetes libraries.
package kubernetes_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "write base/prometheusrule.yaml from the shipped rules files")

// kustomizations are the directories kustomize builds.
var kustomizations = []string{"base", "overlays/oslo", "overlays/frankfurt"}

// strict decodes YAML into v, failing on any field v's type does not have.
func strict(data []byte, v any) error {
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// typed returns a new value of the API type of kind.
func typed(kind string) (any, bool) {
	switch kind {
	case "StatefulSet":
		return &appsv1.StatefulSet{}, true
	case "Service":
		return &corev1.Service{}, true
	case "ConfigMap":
		return &corev1.ConfigMap{}, true
	case "Secret":
		return &corev1.Secret{}, true
	case "PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	case "PodMonitor":
		return &monitoringv1.PodMonitor{}, true
	case "PrometheusRule":
		return &monitoringv1.PrometheusRule{}, true
	}
	return nil, false
}

// fleet is one rendered kustomization, decoded.
type fleet struct {
	dir         string
	objects     map[string]any // by kind/name
	statefulSet *appsv1.StatefulSet
	service     *corev1.Service
	configMap   *corev1.ConfigMap
	secret      *corev1.Secret
	pdb         *policyv1.PodDisruptionBudget
	podMonitor  *monitoringv1.PodMonitor
	rule        *monitoringv1.PrometheusRule
}

func render(t *testing.T, dir string) *fleet {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	f := &fleet{dir: dir, objects: map[string]any{}}
	for _, r := range rm.Resources() {
		data, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		obj, ok := typed(r.GetKind())
		if !ok {
			t.Errorf("%s: kustomize renders a %s, which the test does not know", dir, r.GetKind())
			continue
		}
		if err := strict(data, obj); err != nil {
			t.Errorf("%s: %s %s does not decode strictly: %v", dir, r.GetKind(), r.GetName(), err)
			continue
		}
		f.objects[r.GetKind()+"/"+r.GetName()] = obj
		switch o := obj.(type) {
		case *appsv1.StatefulSet:
			f.statefulSet = o
		case *corev1.Service:
			f.service = o
		case *corev1.ConfigMap:
			f.configMap = o
		case *corev1.Secret:
			f.secret = o
		case *policyv1.PodDisruptionBudget:
			f.pdb = o
		case *monitoringv1.PodMonitor:
			f.podMonitor = o
		case *monitoringv1.PrometheusRule:
			f.rule = o
		}
	}
	if f.statefulSet == nil || f.service == nil || f.configMap == nil || f.secret == nil || f.pdb == nil || f.podMonitor == nil || f.rule == nil {
		t.Fatalf("%s: rendered %d objects, want a StatefulSet, Service, ConfigMap, Secret, PodDisruptionBudget, PodMonitor and PrometheusRule", dir, len(f.objects))
	}
	return f
}

// TestManifestsDecodeStrictly: every file of the base and the overlays, on
// its own, decodes strictly into its API type (kustomization.yaml into
// kustomize's).
func TestManifestsDecodeStrictly(t *testing.T) {
	for _, dir := range kustomizations {
		files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if filepath.Base(file) == "kustomization.yaml" {
				v = &types.Kustomization{}
			} else {
				var meta struct {
					Kind string `json:"kind"`
				}
				if err := yaml.Unmarshal(data, &meta); err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				var ok bool
				if v, ok = typed(meta.Kind); !ok {
					t.Errorf("%s: kind %q, which the test does not know", file, meta.Kind)
					continue
				}
			}
			if err := strict(data, v); err != nil {
				t.Errorf("%s does not decode strictly: %v", file, err)
			}
		}
	}
}

func env(c *corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

func container(t *testing.T, f *fleet) *corev1.Container {
	t.Helper()
	for i := range f.statefulSet.Spec.Template.Spec.Containers {
		if c := &f.statefulSet.Spec.Template.Spec.Containers[i]; c.Name == "touchprobe" {
			return c
		}
	}
	t.Fatalf("%s: no container touchprobe", f.dir)
	return nil
}

// flagValue returns the value of --name=value in args.
func flagValue(args []string, name string) (string, bool) {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// TestRenderedFleet: what kustomize renders for the base and each overlay
// holds together: the shard count is the replica count, the probes and
// the PodMonitor use the port the agent listens on, the selectors select
// the pods, the mounts exist, the pod runs as non-root under the
// runtime's seccomp profile, and each overlay sets its own location.
func TestRenderedFleet(t *testing.T) {
	locations := map[string]bool{}
	for _, dir := range kustomizations {
		t.Run(dir, func(t *testing.T) {
			f := render(t, dir)
			ss := f.statefulSet
			c := container(t, f)
			pod := ss.Spec.Template

			count, ok := env(c, "TOUCHPROBE_SHARD_COUNT")
			if !ok || ss.Spec.Replicas == nil || count != strconv.Itoa(int(*ss.Spec.Replicas)) {
				t.Errorf("TOUCHPROBE_SHARD_COUNT %q, replicas %v: the shard count must be the replica count", count, ss.Spec.Replicas)
			}
			if _, ok := env(c, "TOUCHPROBE_SHARD_INDEX"); ok {
				t.Error("TOUCHPROBE_SHARD_INDEX is set: every pod would be the same shard; the index comes from the pod's ordinal")
			}
			loc, _ := env(c, "TOUCHPROBE_LOCATION")
			if dir != "base" {
				if loc == "" || loc == "default" || locations[loc] {
					t.Errorf("overlay location %q: each overlay needs a location of its own", loc)
				}
				locations[loc] = true
			}
			if ss.Spec.ServiceName != f.service.Name || f.service.Spec.ClusterIP != corev1.ClusterIPNone {
				t.Errorf("serviceName %q, service %q with clusterIP %q: want the headless service", ss.Spec.ServiceName, f.service.Name, f.service.Spec.ClusterIP)
			}

			// Ports: the container port is what --web.listen-address says,
			// and the probes, the service and the PodMonitor use it.
			listen, ok := flagValue(c.Args, "web.listen-address")
			if !ok || len(c.Ports) != 1 || ":"+strconv.Itoa(int(c.Ports[0].ContainerPort)) != listen {
				t.Fatalf("--web.listen-address %q, ports %+v: want one container port, the one the agent listens on", listen, c.Ports)
			}
			port := c.Ports[0].Name
			for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe} {
				want := map[string]string{"liveness": "/-/healthy", "readiness": "/-/ready", "startup": "/-/healthy"}[name]
				if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != want || p.HTTPGet.Port.String() != port {
					t.Errorf("%s probe %+v: want GET %s on port %s", name, p, want, port)
				}
			}
			if len(f.service.Spec.Ports) != 1 || f.service.Spec.Ports[0].TargetPort.String() != port {
				t.Errorf("service ports %+v: want target port %s", f.service.Spec.Ports, port)
			}
			eps := f.podMonitor.Spec.PodMetricsEndpoints
			if len(eps) != 1 || eps[0].Port == nil || *eps[0].Port != port || eps[0].Path != "/metrics" {
				t.Errorf("PodMonitor endpoints %+v: want /metrics on port %s", eps, port)
			}

			// Selectors select the pods, and only through labels they have.
			for what, sel := range map[string]map[string]string{
				"StatefulSet":         ss.Spec.Selector.MatchLabels,
				"Service":             f.service.Spec.Selector,
				"PodDisruptionBudget": f.pdb.Spec.Selector.MatchLabels,
				"PodMonitor":          f.podMonitor.Spec.Selector.MatchLabels,
			} {
				if len(sel) == 0 {
					t.Errorf("%s selects every pod", what)
				}
				for k, v := range sel {
					if pod.Labels[k] != v {
						t.Errorf("%s selects %s=%s, which the pods do not carry (%v)", what, k, v, pod.Labels)
					}
				}
			}
			if f.pdb.Spec.MaxUnavailable == nil || f.pdb.Spec.MaxUnavailable.IntValue() != 1 {
				t.Errorf("PodDisruptionBudget maxUnavailable %v, want 1", f.pdb.Spec.MaxUnavailable)
			}
			if f.podMonitor.Spec.JobLabel == "" || pod.Labels[f.podMonitor.Spec.JobLabel] != "touchprobe" {
				t.Errorf("PodMonitor jobLabel %q: the rules expect job=\"touchprobe\" (pod labels %v)", f.podMonitor.Spec.JobLabel, pod.Labels)
			}

			// Configuration, secrets and scratch space.
			volumes := map[string]corev1.Volume{}
			for _, v := range pod.Spec.Volumes {
				volumes[v.Name] = v
			}
			mounts := map[string]string{}
			for _, m := range c.VolumeMounts {
				if _, ok := volumes[m.Name]; !ok {
					t.Errorf("mount %s: no volume %s", m.MountPath, m.Name)
				}
				mounts[m.MountPath] = m.Name
			}
			cfgPath, _ := flagValue(c.Args, "config")
			cfgVol := volumes[mounts[filepath.Dir(cfgPath)]]
			if cfgVol.ConfigMap == nil || cfgVol.ConfigMap.Name != f.configMap.Name || f.configMap.Data[filepath.Base(cfgPath)] == "" {
				t.Errorf("--config=%s is not the ConfigMap %s's %s", cfgPath, f.configMap.Name, filepath.Base(cfgPath))
			}
			if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef == nil || c.EnvFrom[0].SecretRef.Name != f.secret.Name {
				t.Errorf("envFrom %+v: want the secrets %s", c.EnvFrom, f.secret.Name)
			}
			browserDir, _ := flagValue(c.Args, "browser.dir")
			if v := volumes[mounts[browserDir]]; v.EmptyDir == nil {
				t.Errorf("--browser.dir=%s is not on an emptyDir", browserDir)
			}
			if v := volumes[mounts["/dev/shm"]]; v.EmptyDir == nil || v.EmptyDir.Medium != corev1.StorageMediumMemory || v.EmptyDir.SizeLimit == nil {
				t.Errorf("/dev/shm: %+v, want an emptyDir with medium Memory and a size limit", v)
			}
			if v := volumes[mounts["/tmp"]]; v.EmptyDir == nil {
				t.Error("/tmp: want an emptyDir (the root file system is read-only)")
			}

			// Security and resources.
			psc, csc := pod.Spec.SecurityContext, c.SecurityContext
			if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 ||
				psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("pod security context %+v: want non-root with RuntimeDefault seccomp", psc)
			}
			if csc == nil || csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation ||
				csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem ||
				csc.Capabilities == nil || !slices.Equal(csc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
				t.Errorf("container security context %+v: want no privilege escalation, a read-only root and no capabilities", csc)
			}
			if !strings.Contains(f.configMap.Data[filepath.Base(cfgPath)], `extra_flags = ["--no-sandbox"]`) {
				t.Error("the configuration does not run Chromium with --no-sandbox, which RuntimeDefault seccomp leaves it no sandbox for")
			}
			req, lim := c.Resources.Requests, c.Resources.Limits
			shm := volumes[mounts["/dev/shm"]].EmptyDir.SizeLimit
			if req.Cpu().IsZero() || req.Memory().IsZero() || lim.Memory().Cmp(*req.Memory()) <= 0 {
				t.Errorf("resources %+v: want CPU and memory requests and a memory limit above the request", c.Resources)
			} else if m := req.Memory().DeepCopy(); func() bool { m.Add(*shm); return lim.Memory().Cmp(m) < 0 }() {
				t.Errorf("memory limit %s is below the request %s plus /dev/shm %s, which counts against it", lim.Memory(), req.Memory(), shm)
			}
		})
	}
}

// ruleFile is a Prometheus rules file in the Operator's types.
type ruleFile struct {
	Groups []monitoringv1.RuleGroup `json:"groups"`
}

// shippedRules are the rules files make install ships, in the order the
// PrometheusRule holds their groups.
var shippedRules = []string{"touchprobe.rules.yml", "touchprobe.slo.rules.yml", "touchprobe.locations.rules.yml"}

// TestPrometheusRuleIsTheShippedRules: the PrometheusRule's groups are
// those of the shipped rules files, rule for rule. go test -update writes
// it anew.
func TestPrometheusRuleIsTheShippedRules(t *testing.T) {
	var want ruleFile
	for _, name := range shippedRules {
		data, err := os.ReadFile("../../dashboards/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var f ruleFile
		if err := strict(data, &f); err != nil {
			t.Fatalf("dashboards/%s: %v", name, err)
		}
		want.Groups = append(want.Groups, f.Groups...)
	}
	if *update {
		pr := monitoringv1.PrometheusRule{Spec: monitoringv1.PrometheusRuleSpec{Groups: want.Groups}}
		pr.APIVersion, pr.Kind, pr.Name = "monitoring.coreos.com/v1", "PrometheusRule", "touchprobe"
		out, err := yaml.Marshal(pr)
		if err != nil {
			t.Fatal(err)
		}
		// An empty creationTimestamp is what the types marshal; it means nothing.
		out = bytes.Replace(out, []byte("  creationTimestamp: null\n"), nil, 1)
		header := "# Generated from dashboards/" + strings.Join(shippedRules, ", dashboards/") + " by\n#   (cd deploy/kubernetes && go test -run PrometheusRule -update)\n# Do not edit: a test fails when they differ.\n"
		if err := os.WriteFile("base/prometheusrule.yaml", append([]byte(header), out...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range kustomizations {
		got := render(t, dir).rule.Spec.Groups
		if !reflect.DeepEqual(got, want.Groups) {
			g, _ := yaml.Marshal(got)
			w, _ := yaml.Marshal(want.Groups)
			t.Errorf("%s: the PrometheusRule is not the shipped rules; run (cd deploy/kubernetes && go test -run PrometheusRule -update)\nfirst difference, %s", dir, firstDiff(string(g), string(w)))
		}
	}
}

// firstDiff shows the lines around where two texts first differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d: %q, want %q", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(al), len(bl))
}

// TestContainerfileUser: the image's user is the one the pod runs as, so
// that the folders the image prepares are the pod's to write.
func TestContainerfileUser(t *testing.T) {
	data, err := os.ReadFile("../../Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^USER (\d+):(\d+)$`).FindStringSubmatch(string(data))
	psc := render(t, "base").statefulSet.Spec.Template.Spec.SecurityContext
	if m == nil || m[1] != strconv.Itoa(int(*psc.RunAsUser)) || m[2] != strconv.Itoa(int(*psc.RunAsGroup)) {
		t.Errorf("Containerfile USER %v, pod runs as %d:%d", m, *psc.RunAsUser, *psc.RunAsGroup)
	}
}
