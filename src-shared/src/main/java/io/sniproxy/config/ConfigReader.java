package io.sniproxy.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one way to load a config: YAML text → positioned tree → records → cross-field validation.
 * Either a valid {@link ProxyConfig} or a {@link ConfigException} listing every error as
 * {@code file:line:col: path: message}.
 */
public final class ConfigReader {

    private ConfigReader() {
    }

    public static ProxyConfig read(Path file) throws ConfigException {
        String source = file.toString();
        String text;
        try {
            if (Files.size(file) > YamlTreeReader.MAX_DOCUMENT_CHARS) {
                throw new ConfigException(List.of(new ConfigError(source, 0, 0,
                        "file is larger than " + YamlTreeReader.MAX_DOCUMENT_CHARS + " bytes")));
            }
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(List.of(new ConfigError(source, 0, 0, "cannot read: no such file")));
        } catch (AccessDeniedException e) {
            throw new ConfigException(List.of(new ConfigError(source, 0, 0, "cannot read: permission denied")));
        } catch (CharacterCodingException e) {
            throw new ConfigException(List.of(new ConfigError(source, 0, 0, "cannot read: the file is not UTF-8 text")));
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(List.of(new ConfigError(source, 0, 0, "cannot read: " + e.getMessage())));
        }
        return read(source, text);
    }

    public static ProxyConfig read(String source, String text) throws ConfigException {
        List<ConfigError> errors = new ArrayList<>();
        Optional<YamlNode> tree = new YamlTreeReader(source, errors).read(text);
        if (tree.isEmpty()) {
            throw new ConfigException(errors);
        }
        Optional<ConfigBinder.Bound> bound = new ConfigBinder(source, errors).bind(tree.get());
        if (bound.isPresent()) {
            // Validate even when binding found errors: the well-formed elements may break cross-field
            // rules too, and the user should see every problem in one run.
            ConfigBinder.Bound b = bound.get();
            Map<String, YamlNode> index = new HashMap<>();
            indexPaths(tree.get(), "", index);
            for (ConfigProblem p : ConfigValidator.validate(b.config(), i -> b.listenerIndex()[i], i -> b.routeIndex()[i])) {
                YamlNode at = locate(index, p.path());
                errors.add(new ConfigError(source, at == null ? 0 : at.line(), at == null ? 0 : at.column(),
                        p.toString()));
            }
        }
        if (!errors.isEmpty()) {
            Collections.sort(errors);
            throw new ConfigException(errors);
        }
        return bound.orElseThrow().config();
    }

    private static void indexPaths(YamlNode node, String path, Map<String, YamlNode> index) {
        index.put(path, node);
        if (node instanceof YamlNode.Mapping m) {
            for (YamlNode.Entry e : m.entries().values()) {
                indexPaths(e.value(), path.isEmpty() ? e.key() : path + "." + e.key(), index);
            }
        } else if (node instanceof YamlNode.Sequence s) {
            for (int i = 0; i < s.items().size(); i++) {
                indexPaths(s.items().get(i), path + "[" + i + "]", index);
            }
        }
    }

    /** The node at {@code path}, or at its nearest existing ancestor. */
    private static YamlNode locate(Map<String, YamlNode> index, String path) {
        String p = path;
        while (true) {
            YamlNode n = index.get(p);
            if (n != null || p.isEmpty()) {
                return n;
            }
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            p = cut <= 0 ? "" : p.substring(0, cut);
        }
    }
}
