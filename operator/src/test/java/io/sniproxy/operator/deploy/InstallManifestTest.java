package io.sniproxy.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** deploy/install.yaml: the committed CRDs, least-privilege RBAC, a hardened operator Deployment. */
class InstallManifestTest {

    static final Path MANIFEST = Path.of("..", "deploy", "install.yaml");
    static final KubernetesSerialization YAML = new KubernetesSerialization();

    @Test
    void carriesExactlyTheCommittedCrds() throws IOException {
        List<HasMetadata> all = load(MANIFEST);
        List<CustomResourceDefinition> crds = all.stream().filter(CustomResourceDefinition.class::isInstance)
                .map(CustomResourceDefinition.class::cast).toList();
        assertThat(crds).extracting(c -> c.getMetadata().getName())
                .containsExactly("sniproxies.sniproxy.io", "sniroutes.sniproxy.io");
        for (CustomResourceDefinition crd : crds) {
            CustomResourceDefinition committed = (CustomResourceDefinition) load(
                    Path.of("..", "crds", crd.getMetadata().getName() + "-v1.yml")).get(0);
            assertThat(crd).as("install.yaml's copy of %s matches crds/", crd.getMetadata().getName()).isEqualTo(committed);
        }
    }

    @Test
    void rbacGrantsWhatTheOperatorUsesAndNothingBroader() throws IOException {
        List<HasMetadata> all = load(MANIFEST);
        ClusterRole role = one(all, ClusterRole.class);
        Set<String> granted = new HashSet<>();
        for (PolicyRule rule : role.getRules()) {
            assertThat(rule.getVerbs()).doesNotContain("*");
            assertThat(rule.getResources()).doesNotContain("*");
            assertThat(rule.getApiGroups()).doesNotContain("*");
            for (String g : rule.getApiGroups()) {
                for (String r : rule.getResources()) {
                    for (String v : rule.getVerbs()) {
                        granted.add(g + "/" + r + ":" + v);
                    }
                }
            }
        }
        List<String> needed = new ArrayList<>();
        for (String r : List.of("sniproxy.io/sniproxies", "sniproxy.io/sniroutes", "/configmaps", "/services",
                "apps/deployments", "/pods")) {
            for (String v : List.of("get", "list", "watch")) {
                needed.add(r + ":" + v); // informers
            }
        }
        needed.addAll(List.of("sniproxy.io/sniproxies/status:patch", "sniproxy.io/sniroutes/status:patch",
                "/configmaps:create", "/configmaps:update", "/services:create", "/services:update",
                "apps/deployments:create", "apps/deployments:update",
                "/pods/eviction:create", // the watchdog's opt-in restart
                "/events:create",
                "apiextensions.k8s.io/customresourcedefinitions:get")); // CRD check at start
        assertThat(granted).containsAll(needed);
        assertThat(granted).noneMatch(p -> p.contains("secrets"));
        assertThat(granted).noneMatch(p -> p.startsWith("apiextensions.k8s.io/") && !p.endsWith(":get") && !p.endsWith(":list"));
        assertThat(granted).doesNotContain("/pods:delete", "/configmaps:delete", "/services:delete", "apps/deployments:delete",
                "sniproxy.io/sniproxies:update", "sniproxy.io/sniroutes:update");

        ClusterRoleBinding binding = one(all, ClusterRoleBinding.class);
        assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
        Deployment d = one(all, Deployment.class);
        assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
            assertThat(s.getName()).isEqualTo(d.getSpec().getTemplate().getSpec().getServiceAccountName());
            assertThat(s.getNamespace()).isEqualTo(d.getMetadata().getNamespace());
        });
    }

    @Test
    void operatorDeploymentIsHardenedAndNamesThisVersionsImages() throws IOException {
        Deployment d = one(load(MANIFEST), Deployment.class);
        String version = System.getProperty("sniproxy.version");
        assertThat(version).as("surefire passes the project version").isNotBlank();
        assertThat(d.getSpec().getReplicas()).as("two replicas, one leader").isEqualTo(2);
        assertThat(d.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
        Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getImage()).isEqualTo("sniproxy/operator:" + version);
        assertThat(c.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("SNIPROXY_OPERATOR_PROXY_IMAGE");
            assertThat(e.getValue()).isEqualTo("sniproxy/proxy:" + version);
        });
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
    }

    static List<HasMetadata> load(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            Object parsed = YAML.unmarshal(in);
            if (parsed instanceof List<?> list) {
                return list.stream().map(HasMetadata.class::cast).toList();
            }
            return List.of((HasMetadata) parsed);
        }
    }

    static <T> T one(List<HasMetadata> all, Class<T> type) {
        List<T> found = all.stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(found).as("one %s", type.getSimpleName()).hasSize(1);
        return found.get(0);
    }
}
