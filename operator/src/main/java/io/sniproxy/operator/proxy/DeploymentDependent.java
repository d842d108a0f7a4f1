package io.sniproxy.operator.proxy;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Sysctl;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.sniproxy.config.Listener;
import io.sniproxy.config.Protocol;
import io.sniproxy.operator.api.SniProxy;
import io.sniproxy.operator.render.ProxySpecCheck;
import java.util.ArrayList;
import java.util.List;

/**
 * The proxy pods. The config hash on the pod template rolls them exactly when the rendered file
 * changes; {@code maxUnavailable: 0} and readiness gating keep capacity during a roll; the grace
 * period outlasts the proxy's drain so SIGTERM ends in a clean drain, not a SIGKILL.
 *
 * <p>Applied server-side and compared by the fields applied: nothing desired may be something the
 * server drops (an empty list, an empty {@code emptyDir: {}}), or every pass sees a difference and
 * rewrites the Deployment (the real API server showed exactly that).
 */
@KubernetesDependent(informer = @Informer(labelSelector = "app.kubernetes.io/managed-by=" + ProxyLabels.MANAGED_BY))
public class DeploymentDependent extends OwnedDependent<Deployment> {

    public static final String CONTAINER = "proxy";
    static final String MANAGEMENT_PORT_NAME = "management";
    /** Time on top of the drain bound for the JVM to stop after draining. */
    static final long SHUTDOWN_MARGIN_SECONDS = 15;
    private static final int DEFAULT_REPLICAS = 2;
    /** The writable /tmp (the root filesystem is read-only); the proxy writes nothing big there. */
    static final String TMP_SIZE = "64Mi";

    public DeploymentDependent() {
        super(Deployment.class);
    }

    @Override
    protected Deployment desired(SniProxy proxy, Context<SniProxy> context) {
        DesiredState desired = DesiredState.from(context);
        var spec = proxy.getSpec();
        int managementPort = ProxySpecCheck.managementPort(spec);
        String image = spec.image == null || spec.image.isBlank() ? desired.defaultImage() : spec.image;
        List<Listener> listeners = desired.rendering().config().listeners();
        long grace = desired.rendering().config().timeouts().drain().toSeconds() + SHUTDOWN_MARGIN_SECONDS;
        return new DeploymentBuilder()
                .withNewMetadata()
                    .withName(ProxyLabels.deploymentName(proxy))
                    .withNamespace(proxy.getMetadata().getNamespace())
                    .withLabels(ProxyLabels.all(proxy))
                .endMetadata()
                .withNewSpec()
                    .withReplicas(spec.replicas == null ? DEFAULT_REPLICAS : spec.replicas)
                    .withNewSelector()
                        .withMatchLabels(ProxyLabels.selector(proxy))
                    .endSelector()
                    .withNewStrategy()
                        .withType("RollingUpdate")
                        .withNewRollingUpdate()
                            .withMaxUnavailable(new IntOrString(0))
                            .withMaxSurge(new IntOrString(1))
                        .endRollingUpdate()
                    .endStrategy()
                    .withNewTemplate()
                        .withNewMetadata()
                            .withLabels(ProxyLabels.all(proxy))
                            .addToAnnotations(ProxyLabels.CONFIG_HASH_ANNOTATION, desired.rendering().hash())
                        .endMetadata()
                        .withNewSpec()
                            .withTerminationGracePeriodSeconds(grace)
                            .withSecurityContext(new PodSecurityContextBuilder()
                                    .withRunAsNonRoot(true)
                                    .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                                    .withSysctls(sysctls(listeners))
                                    .build())
                            .addNewContainer()
                                .withName(CONTAINER)
                                .withImage(image)
                                .addNewEnv().withName("SNIPROXY_CONFIG")
                                    .withValue(ProxyLabels.CONFIG_DIR + "/" + ProxyLabels.CONFIG_FILE).endEnv()
                                .addNewEnv().withName("QUARKUS_MANAGEMENT_PORT")
                                    .withValue(Integer.toString(managementPort)).endEnv()
                                .withPorts(ports(listeners, managementPort))
                                .withNewReadinessProbe()
                                    .withNewHttpGet()
                                        .withPath("/q/health/ready")
                                        .withPort(new IntOrString(MANAGEMENT_PORT_NAME))
                                    .endHttpGet()
                                    .withPeriodSeconds(5)
                                    .withFailureThreshold(2)
                                .endReadinessProbe()
                                .withNewLivenessProbe()
                                    .withNewHttpGet()
                                        .withPath("/q/health/live")
                                        .withPort(new IntOrString(MANAGEMENT_PORT_NAME))
                                    .endHttpGet()
                                    .withInitialDelaySeconds(10)
                                    .withPeriodSeconds(10)
                                    .withFailureThreshold(3)
                                .endLivenessProbe()
                                .withResources(resources(spec.resources))
                                .withNewSecurityContext()
                                    .withAllowPrivilegeEscalation(false)
                                    .withReadOnlyRootFilesystem(true)
                                    .withNewCapabilities().addToDrop("ALL").endCapabilities()
                                .endSecurityContext()
                                .addNewVolumeMount()
                                    .withName("config").withMountPath(ProxyLabels.CONFIG_DIR).withReadOnly(true)
                                .endVolumeMount()
                                .addNewVolumeMount()
                                    .withName("tmp").withMountPath("/tmp")
                                .endVolumeMount()
                            .endContainer()
                            .addNewVolume()
                                .withName("config")
                                .withNewConfigMap().withName(ProxyLabels.configMapName(proxy)).endConfigMap()
                            .endVolume()
                            .addNewVolume()
                                .withName("tmp")
                                .withNewEmptyDir().withSizeLimit(new Quantity(TMP_SIZE)).endEmptyDir()
                            .endVolume()
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build();
    }

    private static List<ContainerPort> ports(List<Listener> listeners, int managementPort) {
        List<ContainerPort> ports = new ArrayList<>();
        for (Listener l : listeners) {
            ports.add(new ContainerPortBuilder()
                    .withName(l.name())
                    .withContainerPort(l.port())
                    .withProtocol(l.protocol() == Protocol.QUIC ? "UDP" : "TCP")
                    .build());
        }
        ports.add(new ContainerPortBuilder()
                .withName(MANAGEMENT_PORT_NAME)
                .withContainerPort(managementPort)
                .withProtocol("TCP")
                .build());
        return ports;
    }

    /**
     * The pods run as non-root with every capability dropped; a listener below 1024 is made bindable
     * by lowering the unprivileged port floor (a namespaced, "safe" sysctl) instead of granting
     * NET_BIND_SERVICE.
     */
    private static List<Sysctl> sysctls(List<Listener> listeners) {
        int lowest = listeners.stream().mapToInt(Listener::port).min().orElse(1024);
        if (lowest >= 1024) {
            return null; // not an empty list: the server drops it, and an applied [] would never match
        }
        return List.of(new Sysctl("net.ipv4.ip_unprivileged_port_start", Integer.toString(lowest)));
    }

    private static ResourceRequirements resources(ResourceRequirements requested) {
        if (requested != null) {
            return requested;
        }
        return new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity("100m"))
                .addToRequests("memory", new Quantity("256Mi"))
                .addToLimits("memory", new Quantity("512Mi"))
                .build();
    }
}
