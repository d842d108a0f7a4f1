package io.sniproxy.proxy.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** The JSON lines of the {@code sniproxy.access} logger while it is open. */
final class AccessLogCapture extends Handler implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Logger logger = Logger.getLogger("sniproxy.access");
    private final List<String> lines = new CopyOnWriteArrayList<>();

    AccessLogCapture() {
        logger.addHandler(this);
    }

    List<JsonNode> entries() {
        return lines.stream().map(l -> {
            try {
                return JSON.readTree(l);
            } catch (Exception e) {
                throw new IllegalStateException(l, e);
            }
        }).toList();
    }

    @Override
    public void publish(LogRecord r) {
        lines.add(r.getMessage());
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
