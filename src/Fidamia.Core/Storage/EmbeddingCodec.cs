using System.Buffers.Binary;

namespace Fidamia.Core.Storage;

/// <summary>An embedding as stored: float32 little-endian, whichever machine wrote it.</summary>
public static class EmbeddingCodec
{
    public static byte[] ToBytes(ReadOnlySpan<float> embedding)
    {
        var bytes = new byte[embedding.Length * sizeof(float)];
        for (var i = 0; i < embedding.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), embedding[i]);
        }

        return bytes;
    }

    public static float[] FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % sizeof(float) != 0)
        {
            throw new StorageException($"Storage: an embedding of {bytes.Length} bytes is not float32s");
        }

        var embedding = new float[bytes.Length / sizeof(float)];
        for (var i = 0; i < embedding.Length; i++)
        {
            embedding[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
        }

        return embedding;
    }
}
