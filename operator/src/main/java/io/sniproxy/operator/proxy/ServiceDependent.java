package io.sniproxy.operator.proxy;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.sniproxy.operator.api.ListenerProtocol;
import io.sniproxy.operator.api.SniProxy;
import io.sniproxy.config.Listener;
import java.util.List;

/**
 * One Service port per listener: TCP for tls/http/auto, UDP for quic. Created by a plain apply, not
 * one guarded by {@code resourceVersion: 1}: before Kubernetes 1.21 the Service registry refuses
 * any resourceVersion on create ("resourceVersion should not be set on objects to be created").
 */
@KubernetesDependent(createResourceOnlyIfNotExistingWithSSA = false, informer = @Informer(labelSelector = "app.kubernetes.io/managed-by=" + ProxyLabels.MANAGED_BY))
public class ServiceDependent extends OwnedDependent<Service> {

    public ServiceDependent() {
        super(Service.class);
    }

    @Override
    protected Service desired(SniProxy proxy, Context<SniProxy> context) {
        DesiredState desired = DesiredState.from(context);
        List<ServicePort> ports = desired.rendering().config().listeners().stream()
                .map(ServiceDependent::port)
                .toList();
        String type = proxy.getSpec().serviceType == null ? "ClusterIP" : proxy.getSpec().serviceType;
        return new ServiceBuilder()
                .withNewMetadata()
                    .withName(ProxyLabels.serviceName(proxy))
                    .withNamespace(proxy.getMetadata().getNamespace())
                    .withLabels(ProxyLabels.all(proxy))
                .endMetadata()
                .withNewSpec()
                    .withType(type)
                    .withSelector(ProxyLabels.selector(proxy))
                    .withPorts(ports)
                .endSpec()
                .build();
    }

    private static ServicePort port(Listener l) {
        return new ServicePortBuilder()
                .withName(l.name())
                .withPort(l.port())
                .withTargetPort(new IntOrString(l.port()))
                .withProtocol(l.protocol() == ListenerProtocol.QUIC.config() ? "UDP" : "TCP")
                .build();
    }
}
