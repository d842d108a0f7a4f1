package io.sniproxy.operator.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** Hostnames routed to one backend by the SniProxy named in {@code proxyRef}. */
@Group(SniProxy.GROUP)
@Version(SniProxy.VERSION)
@ShortNames("sniroute")
@AdditionalPrinterColumn(name = "Hostnames", jsonPath = ".spec.hostnames", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Backend", jsonPath = ".status.backend", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Accepted", jsonPath = ".status.conditions[?(@.type==\"Accepted\")].status",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class SniRoute extends CustomResource<SniRouteSpec, SniRouteStatus> implements Namespaced {
}
