using System.Diagnostics;

namespace PeterRec.Model.Data.Events;

/// <summary>What a reader did with a good row.</summary>
internal enum RowFate { Kept, OutsideSplit, NotNeeded }

internal delegate RowFate EventRowHandler(in EventRow row);

/// <summary>
/// Reads every row of one event file into a handler with the CSV readers' bad-row discipline: the first
/// malformed row stops the read with its file, line, field and what was expected, or with
/// <see cref="EventLogOptions.SkipBadRows"/> it is counted (its message kept for the first few).
/// </summary>
internal static class EventFileReader
{
    private static void Drain(IEventRowSource source)
    {
        while (true)
        {
            try
            {
                if (!source.Next(out _)) return;
            }
            catch (CsvFormatException)
            {
                // Further bad rows: keep reading to the checksum.
            }
        }
    }

    public static EventFileSummary Read(string path, EventSchema schema, EventLogOptions options, IJsonEventParser? json,
                                        List<string> badExamples, EventRowHandler handler)
    {
        var clock = Stopwatch.StartNew();
        using var source = EventSources.Open(path, schema, options, json);
        long rows = 0, bad = 0, outside = 0, notNeeded = 0;
        while (true)
        {
            EventRow row;
            try
            {
                if (!source.Next(out row)) break;
            }
            catch (CsvFormatException e) when (options.SkipBadRows)
            {
                bad++;
                if (badExamples.Count < options.KeepBadRowMessages) badExamples.Add(e.Message);
                continue;
            }
            catch (CsvFormatException) when (source.Format.EndsWith("+gzip", StringComparison.Ordinal))
            {
                // In a compressed file a bad row may be the first symptom of corrupt data, which is the error to report:
                // read on to the end, where the gzip checksum tells (throwing InvalidDataException), else report the row.
                Drain(source);
                throw;
            }
            rows++;
            switch (handler(in row))
            {
                case RowFate.OutsideSplit: outside++; break;
                case RowFate.NotNeeded: notNeeded++; break;
            }
        }
        var seconds = clock.Elapsed.TotalSeconds;
        return new EventFileSummary
        {
            File = path, Format = source.Format, Rows = rows, BadRows = bad, OutsideSplit = outside,
            NotNeeded = notNeeded + source.IgnoredRows, Seconds = Math.Round(seconds, 3),
            RowsPerSecond = Math.Round((rows + bad + source.IgnoredRows) / Math.Max(seconds, 1e-9)),
        };
    }
}
