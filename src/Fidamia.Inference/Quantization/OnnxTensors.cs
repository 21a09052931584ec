using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace Fidamia.Inference.Quantization;

/// <summary>Reads and makes the initializers the folder and the quantizer handle.</summary>
internal static class OnnxTensors
{
    public const int Float = (int)TensorProto.Types.DataType.Float;
    public const int UInt8 = (int)TensorProto.Types.DataType.Uint8;
    public const int Int8 = (int)TensorProto.Types.DataType.Int8;
    public const int Int32 = (int)TensorProto.Types.DataType.Int32;
    public const int Int64 = (int)TensorProto.Types.DataType.Int64;

    public static float[] ReadFloats(TensorProto tensor)
    {
        if (tensor.DataType != Float)
        {
            throw new NotSupportedException($"initializer '{tensor.Name}' is {(TensorProto.Types.DataType)tensor.DataType}, not float");
        }

        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw new NotSupportedException($"initializer '{tensor.Name}' is stored outside the model file");
        }

        var length = checked((int)tensor.Dims.Aggregate(1L, (a, d) => a * d));
        float[] values;
        if (!tensor.RawData.IsEmpty)
        {
            // raw_data is little-endian by the ONNX spec, whatever the machine.
            var raw = tensor.RawData.Span;
            values = new float[raw.Length / sizeof(float)];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * sizeof(float))..]);
            }
        }
        else
        {
            values = [.. tensor.FloatData];
        }

        return values.Length == length
            ? values
            : throw new InvalidDataException($"initializer '{tensor.Name}' holds {values.Length} values for dims [{string.Join(",", tensor.Dims)}]");
    }

    public static TensorProto Floats(string name, ReadOnlySpan<float> values, params long[] dims) =>
        Raw(name, Float, MemoryMarshal.AsBytes(LittleEndian(values)), dims);

    public static TensorProto Int8s(string name, ReadOnlySpan<sbyte> values, params long[] dims) =>
        Raw(name, Int8, MemoryMarshal.AsBytes(values), dims);

    public static TensorProto UInt8s(string name, ReadOnlySpan<byte> values, params long[] dims) =>
        Raw(name, UInt8, values, dims);

    public static TensorProto Int32s(string name, ReadOnlySpan<int> values, params long[] dims) =>
        Raw(name, Int32, MemoryMarshal.AsBytes(LittleEndian(values)), dims);

    public static TensorProto Int64s(string name, ReadOnlySpan<long> values, params long[] dims)
    {
        var bytes = new byte[values.Length * sizeof(long)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
        }

        return Raw(name, Int64, bytes, dims);
    }

    private static TensorProto Raw(string name, int dataType, ReadOnlySpan<byte> bytes, long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = dataType, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    private static ReadOnlySpan<float> LittleEndian(ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            return values;
        }

        var swapped = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            swapped[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReverseEndianness(BitConverter.SingleToInt32Bits(values[i])));
        }

        return swapped;
    }

    private static ReadOnlySpan<int> LittleEndian(ReadOnlySpan<int> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            return values;
        }

        var swapped = new int[values.Length];
        BinaryPrimitives.ReverseEndianness(values, swapped);
        return swapped;
    }
}
