package io.sniproxy.operator.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A fleet of proxy pods: its listeners, limits and watchdog; routes attach to it by {@code proxyRef}. */
@Group(SniProxy.GROUP)
@Version(SniProxy.VERSION)
@ShortNames("sniproxy")
@AdditionalPrinterColumn(name = "Replicas", jsonPath = ".spec.replicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "FdHealthy", jsonPath = ".status.conditions[?(@.type==\"FdHealthy\")].status",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Config", jsonPath = ".status.configHash", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class SniProxy extends CustomResource<SniProxySpec, SniProxyStatus> implements Namespaced {

    public static final String GROUP = "sniproxy.io";
    public static final String VERSION = "v1alpha1";
}
