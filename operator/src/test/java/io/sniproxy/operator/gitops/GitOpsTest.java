package io.sniproxy.operator.gitops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sniproxy.operator.api.SniProxy;
import io.sniproxy.operator.support.Conditions;
import io.sniproxy.operator.testing.ControlPlane;
import io.sniproxy.operator.testing.RealApiServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every GitOps overlay applied with kubectl to the real API server, as Argo CD or Flux would:
 * client-side ({@code apply -k}) and server-side ({@code apply --server-side -k}). Once the
 * operator (running here with its RBAC) has reconciled what it owns, {@code kubectl diff} of the
 * same manifests shows no drift, and applying them again changes nothing.
 */
@QuarkusTest
@WithTestResource(RealApiServer.class)
class GitOpsTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static Stream<String> overlays() throws IOException {
        try (Stream<Path> dirs = Files.list(ControlPlane.REPO.resolve("deploy/gitops/overlays"))) {
            return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void overlayAppliesWithoutDriftClientSideAndServerSide(String overlay) throws Exception {
        ControlPlane cp = ControlPlane.get();
        String dir = ControlPlane.REPO.resolve("deploy/gitops/overlays/" + overlay).toString();

        assertThat(cp.kubectl("apply", "-k", dir)).isNotBlank();
        reconciled(cp, dir);
        assertNoDrift(cp, "diff", "-k", dir);
        String before = state(cp, dir);
        String again = cp.kubectl("apply", "-k", dir);
        assertThat(again.lines()).as("second client-side apply").allMatch(l -> l.endsWith(" unchanged"));
        assertThat(state(cp, dir)).isEqualTo(before);

        cp.kubectl("apply", "--server-side", "-k", dir);
        reconciled(cp, dir);
        assertNoDrift(cp, "diff", "--server-side", "-k", dir);
        String applied = state(cp, dir);
        cp.kubectl("apply", "--server-side", "-k", dir);
        assertThat(state(cp, dir)).as("second server-side apply").isEqualTo(applied);
    }

    private static void assertNoDrift(ControlPlane cp, String... diff) throws Exception {
        ControlPlane.Result r = cp.kubectlAs(cp.adminKubeconfig(), diff);
        assertThat(r.exit()).as("kubectl %s: exit 0 is no drift, 1 is drift:%n%s", String.join(" ", diff), r.out())
                .isZero();
        assertThat(r.out()).isBlank();
    }

    /** When the overlay holds SniProxies, wait until the operator has rendered each. */
    private static void reconciled(ControlPlane cp, String dir) throws Exception {
        JsonNode items = JSON.readTree(cp.kubectl("get", "-k", dir, "-o", "json")).path("items");
        for (JsonNode item : items) {
            if (!item.path("kind").asText().equals("SniProxy")) {
                continue;
            }
            String ns = item.path("metadata").path("namespace").asText();
            String name = item.path("metadata").path("name").asText();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                SniProxy p = cp.admin().resources(SniProxy.class).inNamespace(ns).withName(name).get();
                return p.getStatus() != null && Conditions.isTrue(p.getStatus().conditions, "ConfigValid")
                        && cp.admin().configMaps().inNamespace(ns).withName(name + "-config").get() != null;
            });
        }
    }

    /** What the manifests own: every object as stored, without status and bookkeeping. */
    private static String state(ControlPlane cp, String dir) throws Exception {
        JsonNode items = JSON.readTree(cp.kubectl("get", "-k", dir, "-o", "json")).path("items");
        for (JsonNode item : items) {
            ((ObjectNode) item).remove("status");
            ObjectNode meta = (ObjectNode) item.path("metadata");
            for (String bookkeeping : List.of("resourceVersion", "managedFields")) {
                meta.remove(bookkeeping);
            }
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(items);
    }
}
