package io.sniproxy.operator.proxy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.sniproxy.operator.api.SniProxy;

/** The rendered config file. Hand edits are reverted: the informer sees them and the next pass rewrites it. */
@KubernetesDependent(informer = @Informer(labelSelector = "app.kubernetes.io/managed-by=" + ProxyLabels.MANAGED_BY))
public class ConfigMapDependent extends OwnedDependent<ConfigMap> {

    public ConfigMapDependent() {
        super(ConfigMap.class);
    }

    @Override
    protected ConfigMap desired(SniProxy proxy, Context<SniProxy> context) {
        DesiredState desired = DesiredState.from(context);
        return new ConfigMapBuilder()
                .withNewMetadata()
                    .withName(ProxyLabels.configMapName(proxy))
                    .withNamespace(proxy.getMetadata().getNamespace())
                    .withLabels(ProxyLabels.all(proxy))
                    .addToAnnotations(ProxyLabels.CONFIG_HASH_ANNOTATION, desired.rendering().hash())
                .endMetadata()
                .addToData(ProxyLabels.CONFIG_FILE, desired.rendering().yaml())
                .build();
    }
}
