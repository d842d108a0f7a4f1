package io.sniproxy.config;

/** One JSON line per connection when enabled. Off by default: it costs a line per connection. */
public record AccessLog(boolean enabled) {

    public static final AccessLog DEFAULTS = new AccessLog(false);
}
