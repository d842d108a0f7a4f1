package io.sniproxy.operator.proxy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.sniproxy.operator.api.SniProxy;

/**
 * An object a SniProxy owns, applied server-side. Its owner reference is a <em>controller</em>
 * reference ({@code controller: true}, so {@code kubectl describe} says "Controlled By" and no other
 * controller adopts it) that blocks the owner's foreground deletion until it is gone.
 */
public abstract class OwnedDependent<R extends HasMetadata> extends CRUDKubernetesDependentResource<R, SniProxy> {

    protected OwnedDependent(Class<R> type) {
        super(type);
    }

    @Override
    protected void addReferenceHandlingMetadata(R desired, SniProxy proxy) {
        desired.getMetadata().setOwnerReferences(null);
        desired.addOwnerReference(new OwnerReferenceBuilder()
                .withApiVersion(proxy.getApiVersion())
                .withKind(proxy.getKind())
                .withName(proxy.getMetadata().getName())
                .withUid(proxy.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build());
    }
}
