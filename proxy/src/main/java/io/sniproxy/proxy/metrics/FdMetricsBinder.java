package io.sniproxy.proxy.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import jakarta.inject.Singleton;

/**
 * {@code process_open_fds} and {@code process_max_fds}: the names dashboards and the seed's alerts
 * use (the Prometheus client's own), next to Micrometer's {@code process_files_open_files} that
 * Quarkus binds itself.
 */
@Singleton
public class FdMetricsBinder implements MeterBinder {

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("process.open.fds", FileDescriptors::open).description("Open file descriptors")
                .register(registry);
        Gauge.builder("process.max.fds", FileDescriptors::max).description("Maximum number of open file descriptors")
                .register(registry);
    }
}
