package io.sniproxy.config;

/** Where a routed connection goes: a fixed address, or (transparent) the requested name itself. */
public sealed interface Backend permits Backend.Static, Backend.Transparent {

    /** A fixed {@code host:port}; the port may be omitted, then the listener's port is used. */
    record Static(HostPort address) implements Backend {
        @Override
        public String toString() {
            return address.toString();
        }
    }

    /** {@code "*"}: connect to the hostname the client asked for, resolved by DNS. */
    record Transparent() implements Backend {
        @Override
        public String toString() {
            return "*";
        }
    }

    Transparent TRANSPARENT = new Transparent();
}
