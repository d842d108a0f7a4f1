package io.sniproxy.proxy.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.sniproxy.config.ConfigReader;
import io.sniproxy.config.Listener;
import io.sniproxy.config.Protocol;
import io.sniproxy.config.ProxyConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.StreamSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The kustomize example in deploy/gitops against the proxy it deploys: its config files are ones
 * the proxy accepts, every listener has a container port and a Service port of the right protocol,
 * the probes reach the management interface, SNIPROXY_CONFIG names the mounted file, and a
 * read-only root filesystem comes with a writable /tmp. ({@code kubectl kustomize} renders it; that
 * is in docs/images.md, not here, because kubectl is not a build dependency.)
 */
class GitOpsExampleTest {

    private static final Path GITOPS = Path.of("").toAbsolutePath().getParent().resolve("deploy/gitops");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/production"})
    void configFileIsOneTheProxyAcceptsAndEveryListenerIsReachable(String dir) throws Exception {
        ProxyConfig config = ConfigReader.read(GITOPS.resolve(dir).resolve("sniproxy.yaml"));
        JsonNode container = container();
        Map<String, String> containerPorts = new HashMap<>(); // "8443/TCP" -> port name
        for (JsonNode p : container.get("ports")) {
            containerPorts.put(p.get("containerPort").asInt() + "/" + p.get("protocol").asText(), p.get("name").asText());
        }
        Set<String> serviceTargets = new TreeSet<>();
        for (JsonNode p : read("base/service.yaml").at("/spec/ports")) {
            serviceTargets.add(p.get("targetPort").asText() + "/" + p.get("protocol").asText());
        }
        for (Listener l : config.listeners()) {
            assertThat(l.address().host()).as("%s binds all interfaces, or the pod cannot be reached", l.name())
                    .isIn("0.0.0.0", "::", "[::]");
            String key = l.address().port().orElseThrow() + (l.protocol() == Protocol.QUIC ? "/UDP" : "/TCP");
            assertThat(containerPorts).as("container port for listener %s", l.name()).containsKey(key);
            String protocol = key.substring(key.indexOf('/') + 1);
            assertThat(serviceTargets).as("Service port for listener %s", l.name())
                    .contains(containerPorts.get(key) + "/" + protocol);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/readinessProbe", "/livenessProbe"})
    void probesReachTheManagementInterface(String probe) throws Exception {
        JsonNode container = container();
        JsonNode get = container.at(probe + "/httpGet");
        assertThat(get.get("path").asText()).isEqualTo(probe.equals("/readinessProbe") ? "/q/health/ready" : "/q/health/live");
        int port = StreamSupport.stream(container.get("ports").spliterator(), false)
                .filter(p -> p.get("name").asText().equals(get.get("port").asText()))
                .mapToInt(p -> p.get("containerPort").asInt()).findFirst().orElseThrow();
        assertThat(String.valueOf(port)).isEqualTo(applicationProperties().getProperty("quarkus.management.port"));
        assertThat(env(container, "QUARKUS_MANAGEMENT_HOST")).as("management reachable on the pod IP").isEqualTo("0.0.0.0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/production"})
    void configMapIsMountedWhereSniproxyConfigPointsAndTmpIsWritable(String dir) throws Exception {
        JsonNode pod = read("base/deployment.yaml").at("/spec/template/spec");
        JsonNode container = container();
        JsonNode generator = read(dir + "/kustomization.yaml").at("/configMapGenerator/0");
        String volume = StreamSupport.stream(pod.get("volumes").spliterator(), false)
                .filter(v -> v.at("/configMap/name").asText().equals(generator.get("name").asText()))
                .map(v -> v.get("name").asText()).findFirst().orElseThrow();
        String mountPath = StreamSupport.stream(container.get("volumeMounts").spliterator(), false)
                .filter(m -> m.get("name").asText().equals(volume)).map(m -> m.get("mountPath").asText())
                .findFirst().orElseThrow();
        assertThat(env(container, "SNIPROXY_CONFIG")).isEqualTo(mountPath + "/" + generator.at("/files/0").asText());

        assertThat(container.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(container.get("volumeMounts").findValuesAsText("mountPath")).contains("/tmp");
        assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
    }

    private static String env(JsonNode container, String name) {
        return StreamSupport.stream(container.get("env").spliterator(), false)
                .filter(e -> e.get("name").asText().equals(name)).map(e -> e.get("value").asText())
                .findFirst().orElse("");
    }

    private static JsonNode container() throws IOException {
        return read("base/deployment.yaml").at("/spec/template/spec/containers/0");
    }

    private static JsonNode read(String file) throws IOException {
        return YAML.readTree(GITOPS.resolve(file).toFile());
    }

    private static Properties applicationProperties() throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(Path.of("src/main/resources/application.properties"))) {
            p.load(in);
        }
        return p;
    }
}
