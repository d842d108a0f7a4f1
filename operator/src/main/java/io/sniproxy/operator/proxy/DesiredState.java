package io.sniproxy.operator.proxy;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.sniproxy.operator.api.SniProxy;
import io.sniproxy.operator.render.Rendering;

/**
 * What the reconciler decided for this pass, handed to the dependent resources so that each
 * {@code desired()} stays a pure function of it and the primary.
 */
public record DesiredState(Rendering rendering, String defaultImage) {

    static final String KEY = "sniproxy.desired";

    public static DesiredState from(Context<SniProxy> context) {
        return context.managedWorkflowAndDependentResourceContext().getMandatory(KEY, DesiredState.class);
    }
}
