using ICSharpCode.SharpZipLib;
using ICSharpCode.SharpZipLib.GZip;

namespace PeterRec.Model.Data.Events;

/// <summary>
/// Decompresses gzip (several concatenated members too) and refuses a truncated or corrupt file with an
/// <see cref="InvalidDataException"/>: each member's CRC and length are checked. System.IO.Compression's
/// GZipStream returns a truncated file's first part as if it were all (measured on .NET 10), which would
/// silently lose the log's tail.
/// </summary>
internal sealed class VerifiedGzipStream(Stream compressed) : Stream
{
    private readonly GZipInputStream _inner = new(compressed) { IsStreamOwner = true };

    public override int Read(byte[] buffer, int offset, int count)
    {
        try
        {
            return _inner.Read(buffer, offset, count);
        }
        catch (Exception e) when (e is SharpZipBaseException or EndOfStreamException)
        {
            throw new InvalidDataException($"gzip: {e.Message} (the file is truncated or corrupt)", e);
        }
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}
