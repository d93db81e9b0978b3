/*
 * Renders API Gateway (REST API) mapping templates with the engine API Gateway runs them on:
 * Apache Velocity 1.7 (Debian's `velocity` package and its commons-lang 2.6 / commons-collections 3
 * dependencies). Test support only, started by vtl-engine.ts.
 *
 * Launch: `java -cp <velocity jars> VtlRunner.java` (Java 11+ single-file source launcher). Debian's
 * default-jre-headless ships the whole module image, jdk.compiler included, so no JDK and no javac
 * are needed and no compiled class is kept anywhere: the JRE that .ci/run installs is enough.
 *
 * Protocol: one JSON request per stdin line,
 *   {"template": "...", "body": "<raw request or integration response body>",
 *    "context": {...$context...}, "params": {"path": {}, "querystring": {}, "header": {}}}
 * one JSON answer per stdout line: {"output": "<rendered text>", "context": {...$context after}}
 * (so `#set($context.responseOverride.status = 502)` is visible), or {"error": "..."}.
 *
 * Implements, after the "Variables for data transformations" reference
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html):
 * - $input.body, $input.json(path) (JSON text of the JSONPath result), $input.path(path) (the
 *   result as Map / List / String / Number / Boolean, so `.size()` and `> 0` work), $input.params()
 *   and $input.params(name) (path, then querystring, then header).
 * - $util.escapeJavaScript (commons-lang StringEscapeUtils.escapeJavaScript: the reference's
 *   wording is that method's Javadoc, and it turns ' into \' as the reference warns), parseJson,
 *   urlEncode / urlDecode (UTF-8 form encoding), base64Encode / base64Decode.
 * - $context as the JSON object given, plus an empty mutable `responseOverride` map.
 * - Velocity's default configuration (so `#set` of a null value keeps the old value).
 * Does not implement: JSONPath filters, wildcards, slices or recursive descent (only `$`, `.name`,
 * `['name']` and `[index]`); header-name case folding; $stageVariables; $util.escape; the 1 MB /
 * #foreach limits of API Gateway. Numbers keep their posted text in $input.json (assumption: this
 * cannot be observed without AWS); $input.json of a missing path gives `null`.
 */
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.lang.StringEscapeUtils;
import org.apache.velocity.VelocityContext;
import org.apache.velocity.app.VelocityEngine;

public final class VtlRunner {
  public static void main(String[] args) throws Exception {
    VelocityEngine engine = new VelocityEngine();
    engine.setProperty("runtime.log.logsystem.class", "org.apache.velocity.runtime.log.NullLogChute");
    engine.init();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(System.out, true, "UTF-8");
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      if (!line.isBlank()) out.println(Json.write(answer(engine, line)));
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> answer(VelocityEngine engine, String line) {
    Map<String, Object> result = new LinkedHashMap<>();
    try {
      Map<String, Object> request = (Map<String, Object>) Json.parse(line);
      // Velocity sees $context and params as Java values (Long, not the posted text of a number).
      Object contextValue = Json.toVelocity(request.get("context"));
      Map<String, Object> context = contextValue == null ? new LinkedHashMap<>() : (Map<String, Object>) contextValue;
      context.putIfAbsent("responseOverride", new LinkedHashMap<String, Object>());
      Object params = Json.toVelocity(request.get("params"));
      VelocityContext vc = new VelocityContext();
      vc.put("input", new Input((String) request.get("body"), params == null ? new LinkedHashMap<>() : (Map<String, Object>) params));
      vc.put("util", new Util());
      vc.put("context", context);
      StringWriter rendered = new StringWriter();
      engine.evaluate(vc, rendered, "mapping-template", (String) request.get("template"));
      result.put("output", rendered.toString());
      result.put("context", context);
    } catch (Exception | Error e) {
      result.put("error", e.toString());
    }
    return result;
  }

  /** `$input`. */
  public static final class Input {
    private final String body;
    private final Map<String, Object> params;

    Input(String body, Map<String, Object> params) {
      this.body = body == null ? "" : body;
      this.params = params;
    }

    public String getBody() {
      return body;
    }

    public String json(String path) {
      return Json.write(JsonPath.select(Json.parse(body), path));
    }

    public Object path(String path) {
      return Json.toVelocity(JsonPath.select(Json.parse(body), path));
    }

    public Map<String, Object> params() {
      return params;
    }

    @SuppressWarnings("unchecked")
    public Object params(String name) {
      for (String where : new String[] {"path", "querystring", "header"}) {
        Object group = params.get(where);
        if (group instanceof Map && ((Map<String, Object>) group).containsKey(name)) {
          return ((Map<String, Object>) group).get(name);
        }
      }
      return "";
    }
  }

  /** `$util`. */
  public static final class Util {
    public String escapeJavaScript(String value) {
      return StringEscapeUtils.escapeJavaScript(value);
    }

    public Object parseJson(String text) {
      return Json.toVelocity(Json.parse(text));
    }

    public String urlEncode(String value) {
      return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    public String urlDecode(String value) {
      return URLDecoder.decode(value, StandardCharsets.UTF_8);
    }

    public String base64Encode(String value) {
      return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
    }

    public String base64Decode(String value) {
      return new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
    }
  }

  /** A JSON number as posted: `$input.json` writes its text back unchanged. */
  static final class RawNumber {
    final String text;

    RawNumber(String text) {
      this.text = text;
    }
  }

  /** The JSONPath subset the header lists. */
  static final class JsonPath {
    @SuppressWarnings("unchecked")
    static Object select(Object root, String path) {
      String p = path.trim();
      if (!p.startsWith("$")) throw new IllegalArgumentException("JSONPath must start with $: " + path);
      Object node = root;
      int i = 1;
      while (i < p.length() && node != null) {
        char c = p.charAt(i);
        if (c == '.') {
          int end = i + 1;
          while (end < p.length() && p.charAt(end) != '.' && p.charAt(end) != '[') end++;
          node = node instanceof Map ? ((Map<String, Object>) node).get(p.substring(i + 1, end)) : null;
          i = end;
        } else if (c == '[') {
          int end = p.indexOf(']', i);
          String key = p.substring(i + 1, end).trim();
          if (key.startsWith("'") || key.startsWith("\"")) {
            node = node instanceof Map ? ((Map<String, Object>) node).get(key.substring(1, key.length() - 1)) : null;
          } else {
            int index = Integer.parseInt(key);
            node = node instanceof List && index < ((List<Object>) node).size() ? ((List<Object>) node).get(index) : null;
          }
          i = end + 1;
        } else {
          throw new IllegalArgumentException("unsupported JSONPath " + path);
        }
      }
      return node;
    }
  }

  /** Minimal JSON reader/writer: objects keep key order, numbers keep their text. */
  static final class Json {
    private final String s;
    private int i;

    private Json(String s) {
      this.s = s;
    }

    static Object parse(String text) {
      Json reader = new Json(text);
      Object value = reader.value();
      reader.space();
      if (reader.i != text.length()) throw new IllegalArgumentException("trailing text at " + reader.i);
      return value;
    }

    private void space() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    }

    private Object value() {
      space();
      char c = s.charAt(i);
      if (c == '{') return object();
      if (c == '[') return array();
      if (c == '"') return string();
      if (s.startsWith("true", i)) return literal(4, Boolean.TRUE);
      if (s.startsWith("false", i)) return literal(5, Boolean.FALSE);
      if (s.startsWith("null", i)) return literal(4, null);
      int start = i;
      while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
      if (start == i) throw new IllegalArgumentException("unexpected " + c + " at " + i);
      return new RawNumber(s.substring(start, i));
    }

    private Object literal(int length, Object value) {
      i += length;
      return value;
    }

    private Map<String, Object> object() {
      Map<String, Object> map = new LinkedHashMap<>();
      i++;
      space();
      if (s.charAt(i) == '}') {
        i++;
        return map;
      }
      while (true) {
        space();
        String key = string();
        space();
        i++; // ':'
        map.put(key, value());
        space();
        if (s.charAt(i++) == '}') return map;
      }
    }

    private List<Object> array() {
      List<Object> list = new ArrayList<>();
      i++;
      space();
      if (s.charAt(i) == ']') {
        i++;
        return list;
      }
      while (true) {
        list.add(value());
        space();
        if (s.charAt(i++) == ']') return list;
      }
    }

    private String string() {
      StringBuilder b = new StringBuilder();
      i++;
      for (char c = s.charAt(i++); c != '"'; c = s.charAt(i++)) {
        if (c != '\\') {
          b.append(c);
          continue;
        }
        char e = s.charAt(i++);
        switch (e) {
          case 'b': b.append('\b'); break;
          case 'f': b.append('\f'); break;
          case 'n': b.append('\n'); break;
          case 'r': b.append('\r'); break;
          case 't': b.append('\t'); break;
          case 'u': b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; break;
          default: b.append(e);
        }
      }
      return b.toString();
    }

    /** The value as Velocity sees it: numbers become Integer / Long / BigInteger / BigDecimal. */
    @SuppressWarnings("unchecked")
    static Object toVelocity(Object node) {
      if (node instanceof RawNumber) {
        String text = ((RawNumber) node).text;
        if (text.matches("-?\\d+")) {
          BigInteger n = new BigInteger(text);
          if (n.bitLength() < 32) return n.intValue();
          return n.bitLength() < 64 ? (Object) n.longValue() : n;
        }
        return new BigDecimal(text);
      }
      if (node instanceof Map) {
        Map<String, Object> copy = new LinkedHashMap<>();
        ((Map<String, Object>) node).forEach((k, v) -> copy.put(k, toVelocity(v)));
        return copy;
      }
      if (node instanceof List) {
        List<Object> copy = new ArrayList<>();
        for (Object v : (List<Object>) node) copy.add(toVelocity(v));
        return copy;
      }
      return node;
    }

    @SuppressWarnings("unchecked")
    static String write(Object node) {
      if (node == null) return "null";
      if (node instanceof RawNumber) return ((RawNumber) node).text;
      if (node instanceof Number || node instanceof Boolean) return node.toString();
      if (node instanceof Map) {
        StringBuilder b = new StringBuilder("{");
        for (Map.Entry<String, Object> e : ((Map<String, Object>) node).entrySet()) {
          if (b.length() > 1) b.append(',');
          b.append(quote(e.getKey())).append(':').append(write(e.getValue()));
        }
        return b.append('}').toString();
      }
      if (node instanceof List) {
        StringBuilder b = new StringBuilder("[");
        for (Object v : (List<Object>) node) {
          if (b.length() > 1) b.append(',');
          b.append(write(v));
        }
        return b.append(']').toString();
      }
      return quote(node.toString());
    }

    private static String quote(String value) {
      StringBuilder b = new StringBuilder("\"");
      for (char c : value.toCharArray()) {
        if (c == '"' || c == '\\') b.append('\\').append(c);
        else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
        else b.append(c);
      }
      return b.append('"').toString();
    }
  }
}
