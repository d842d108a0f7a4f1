package io.sniproxy.operator.route;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.MaxReconciliationInterval;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.sniproxy.operator.OperatorConfig;
import io.sniproxy.operator.api.SniProxy;
import io.sniproxy.operator.api.SniRoute;
import io.sniproxy.operator.api.SniRouteStatus;
import io.sniproxy.operator.proxy.SniProxyReconciler;
import io.sniproxy.operator.proxy.SniProxyStatusFactory;
import io.sniproxy.operator.render.RenderOutcome;
import io.sniproxy.operator.routes.BackendServices;
import io.sniproxy.operator.routes.RouteVerdict;
import io.sniproxy.operator.support.Conditions;
import io.sniproxy.operator.support.EventRecorder;
import io.sniproxy.operator.support.NamespaceTerminating;
import io.sniproxy.operator.support.OperatorMetrics;
import io.sniproxy.operator.support.ProxyRefs;
import io.sniproxy.operator.support.ResourceKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Writes each SniRoute's status: {@code Accepted} (or why not: Invalid, HostnameConflict naming the
 * older winner, NoMatchingParent, BackendNotFound) and {@code Programmed} (the route is in the config
 * its SniProxy has in force). Verdicts come from the same code the SniProxy reconciler renders with.
 */
@ControllerConfiguration(name = SniRouteReconciler.NAME,
        maxReconciliationInterval = @MaxReconciliationInterval(interval = 5, timeUnit = TimeUnit.MINUTES))
public class SniRouteReconciler implements Reconciler<SniRoute> {

    public static final String NAME = "sniroute";
    public static final String ACCEPTED = "Accepted";
    public static final String PROGRAMMED = "Programmed";
    static final String PROXIES = "sniproxies";
    static final String BACKENDS = "backend-services";
    static final Duration BACKEND_RETRY = Duration.ofSeconds(30);

    private final OperatorConfig config;
    private final EventRecorder events;
    private final OperatorMetrics metrics;

    public SniRouteReconciler(OperatorConfig config, EventRecorder events, OperatorMetrics metrics) {
        this.config = config;
        this.events = events;
        this.metrics = metrics;
    }

    @Override
    public List<EventSource<?, SniRoute>> prepareEventSources(EventSourceContext<SniRoute> context) {
        // A SniProxy change (spec, or the config in force in its status) re-judges every route naming it.
        InformerEventSource<SniProxy, SniRoute> proxies = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(SniProxy.class, SniRoute.class)
                        .withName(PROXIES)
                        .withWatchAllNamespaces()
                        .withSecondaryToPrimaryMapper((SniProxy p) -> context.getPrimaryCache()
                                .list(r -> ProxyRefs.targets(r, ResourceID.fromResource(p)))
                                .map(ResourceID::fromResource)
                                .collect(Collectors.toSet()))
                        .withPrimaryToSecondaryMapper((SniRoute r) -> ProxyRefs.target(r).map(Set::of).orElse(Set.of()))
                        .build(),
                context);
        // The Services routes name: one appearing turns BackendNotFound into Accepted without a poll.
        InformerEventSource<Service, SniRoute> backends = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Service.class, SniRoute.class)
                        .withName(BACKENDS)
                        .withWatchAllNamespaces()
                        .withSecondaryToPrimaryMapper((Service svc) -> context.getPrimaryCache()
                                .list(svc.getMetadata().getNamespace(), r -> BackendServices.names(r, svc))
                                .map(ResourceID::fromResource)
                                .collect(Collectors.toSet()))
                        .build(),
                context);
        return List.of(proxies, backends);
    }

    @Override
    public UpdateControl<SniRoute> reconcile(SniRoute route, Context<SniRoute> context) {
        String key = ResourceKeys.of(route);
        Optional<ResourceID> target = ProxyRefs.target(route);
        Optional<SniProxy> proxy = context.getSecondaryResource(SniProxy.class);
        RouteVerdict verdict;
        if (target.isEmpty()) {
            verdict = RouteVerdict.refused(RouteVerdict.INVALID, "spec.proxyRef.name: name the SniProxy to attach to",
                    Optional.empty());
        } else if (proxy.isEmpty()) {
            verdict = RouteVerdict.refused(RouteVerdict.NO_MATCHING_PARENT, "SniProxy " + target.get().getNamespace()
                    .orElse("") + "/" + target.get().getName() + " does not exist", Optional.empty());
        } else {
            List<SniRoute> siblings = context.getPrimaryCache().list(r -> ProxyRefs.targets(r, target.get())).toList();
            if (siblings.stream().noneMatch(r -> ResourceKeys.of(r).equals(key))) {
                siblings = new ArrayList<>(siblings);
                siblings.add(route);
            }
            RenderOutcome outcome = SniProxyReconciler.render(proxy.get(), siblings,
                    BackendServices.lookup(context, BACKENDS), config);
            verdict = outcome.verdicts().get(key);
        }
        SniRouteStatus status = status(route, verdict, proxy, Instant.now());
        announce(route, status);
        metrics.reconciled(NAME, verdict.reason());
        UpdateControl<SniRoute> control = Objects.equals(status, route.getStatus())
                ? UpdateControl.noUpdate() : UpdateControl.patchStatus(withStatus(route, status));
        return RouteVerdict.BACKEND_NOT_FOUND.equals(verdict.reason()) ? control.rescheduleAfter(BACKEND_RETRY) : control;
    }

    /** In a namespace being deleted there is nothing to report and nothing to retry. */
    @Override
    public ErrorStatusUpdateControl<SniRoute> updateErrorStatus(SniRoute route, Context<SniRoute> context, Exception e) {
        if (NamespaceTerminating.causedBy(e)) {
            return ErrorStatusUpdateControl.<SniRoute>noStatusUpdate().withNoRetry();
        }
        metrics.reconciled(NAME, "failed");
        return ErrorStatusUpdateControl.noStatusUpdate();
    }

    /** Only name, namespace and status: what a server-side apply of the status subresource should carry. */
    static SniRoute withStatus(SniRoute route, SniRouteStatus status) {
        SniRoute patch = new SniRoute();
        patch.setMetadata(new ObjectMetaBuilder()
                .withName(route.getMetadata().getName())
                .withNamespace(route.getMetadata().getNamespace())
                .build());
        patch.setStatus(status);
        return patch;
    }

    static SniRouteStatus status(SniRoute route, RouteVerdict verdict, Optional<SniProxy> proxy, Instant now) {
        List<Condition> before = route.getStatus() == null ? List.of() : route.getStatus().conditions;
        Long generation = route.getMetadata().getGeneration();
        SniRouteStatus status = new SniRouteStatus();
        status.observedGeneration = generation;
        status.backend = verdict.backend().orElse(null);
        status.conditions.add(Conditions.of(ACCEPTED, verdict.isAccepted() ? Conditions.TRUE : Conditions.FALSE,
                verdict.reason(), verdict.message(), generation, before, now));
        status.conditions.add(programmed(route, verdict, proxy, generation, before, now));
        return status;
    }

    private static Condition programmed(SniRoute route, RouteVerdict verdict, Optional<SniProxy> proxy, Long generation,
            List<Condition> before, Instant now) {
        if (!verdict.isAccepted()) {
            return Conditions.of(PROGRAMMED, Conditions.FALSE, "NotAccepted", "the route is not accepted: "
                    + verdict.reason(), generation, before, now);
        }
        SniProxy p = proxy.orElseThrow();
        String entry = ResourceKeys.of(route) + "@" + generation;
        if (p.getStatus() != null && p.getStatus().routes != null && p.getStatus().routes.contains(entry)) {
            return Conditions.of(PROGRAMMED, Conditions.TRUE, "Programmed", "in config " + p.getStatus().configHash
                    + " of SniProxy " + ResourceKeys.of(p), generation, before, now);
        }
        if (p.getStatus() != null && !Conditions.isTrue(p.getStatus().conditions, SniProxyStatusFactory.CONFIG_VALID)
                && Conditions.find(p.getStatus().conditions, SniProxyStatusFactory.CONFIG_VALID).isPresent()) {
            return Conditions.of(PROGRAMMED, Conditions.FALSE, "ProxyConfigInvalid", "SniProxy " + ResourceKeys.of(p)
                    + " cannot render its config; see its ConfigValid condition", generation, before, now);
        }
        return Conditions.of(PROGRAMMED, Conditions.FALSE, "Pending", "waiting for SniProxy " + ResourceKeys.of(p)
                + " to render this route", generation, before, now);
    }

    /** An Event when the Accepted verdict changes (reason or message). */
    private void announce(SniRoute route, SniRouteStatus status) {
        Condition now = Conditions.find(status.conditions, ACCEPTED).orElseThrow();
        Optional<Condition> was = route.getStatus() == null ? Optional.empty()
                : Conditions.find(route.getStatus().conditions, ACCEPTED);
        if (was.isPresent() && Objects.equals(was.get().getReason(), now.getReason())
                && Objects.equals(was.get().getMessage(), now.getMessage())) {
            return;
        }
        if (Conditions.TRUE.equals(now.getStatus())) {
            events.normal(route, now.getReason(), "route accepted; backend " + status.backend);
        } else {
            events.warning(route, now.getReason(), now.getMessage());
        }
    }
}
