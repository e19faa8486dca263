import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

/**
 * Asks Apache Avro's own checker for its verdict on every reader/writer pair
 * of the registry's compatibility corpus, in both directions, and prints the
 * verdicts as JSON. The registry's tests hold our checker to these verdicts.
 *
 * <p>Usage: {@code java AvroVerdicts CORPUS.json AVRO_VERSION}
 */
public final class AvroVerdicts {
  private AvroVerdicts() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: AvroVerdicts CORPUS.json AVRO_VERSION");
      System.exit(2);
    }
    ObjectMapper json = new ObjectMapper();
    JsonNode corpus = json.readTree(new File(args[0]));
    ObjectNode out = json.createObjectNode();
    out.put("avro_version", args[1]);
    out.put("generated_by", "scripts/avro-verdicts.sh");
    ArrayNode verdicts = out.putArray("verdicts");
    for (JsonNode pair : corpus.get("pairs")) {
      ObjectNode verdict = verdicts.addObject();
      verdict.put("name", pair.get("name").asText());
      String writer = pair.get("writer").toString();
      String reader = pair.get("reader").toString();
      verdict.put("reader_reads_writer", verdictOf(reader, writer));
      verdict.put("writer_reads_reader", verdictOf(writer, reader));
    }
    System.out.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(out));
  }

  /** COMPATIBLE or INCOMPATIBLE; a schema Avro refuses to parse is reported, not judged. */
  private static String verdictOf(String readerText, String writerText) {
    Schema reader;
    Schema writer;
    try {
      reader = new Schema.Parser().parse(readerText);
      writer = new Schema.Parser().parse(writerText);
    } catch (RuntimeException e) {
      return "UNPARSEABLE: " + e.getMessage();
    }
    return SchemaCompatibility.checkReaderWriterCompatibility(reader, writer)
        .getType()
        .name();
  }
}
