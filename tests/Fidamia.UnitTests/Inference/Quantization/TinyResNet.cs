using Google.Protobuf;
using Onnx;

namespace Fidamia.UnitTests.Inference.Quantization;

/// <summary>
/// A residual block in miniature, exported the way CNTK exported the default model (opset 8, IR 3, BatchNormalization
/// with 'spatial', weights as float_data): Conv A + BN + Relu, Conv B (with a bias) + BN, Add with A's output as the
/// skip, Relu, MaxPool, 1x1 Conv C + BN + Relu, AveragePool to [1,4,1,1]. Seeded random weights.
/// </summary>
internal static class TinyResNet
{
    public const string Input = "X";
    public const string Output = "Y";
    public const int Channels = 4;
    public const float Epsilon = 1e-3f;

    public static readonly long[] InputShape = [1, 3, 8, 8];

    public static ModelProto Create(int seed = 7)
    {
        var random = new Random(seed);
        var graph = new GraphProto { Name = "tiny" };
        graph.Input.Add(Value(Input, InputShape));
        graph.Output.Add(Value(Output, [1, Channels, 1, 1]));

        Conv(graph, random, "A", Input, inChannels: 3, kernel: 3, bias: false);
        BatchNorm(graph, random, "A", "A_conv", "A_bn");
        graph.Node.Add(Node("Relu", "A_relu", ["A_bn"], "A_relu"));

        Conv(graph, random, "B", "A_relu", inChannels: Channels, kernel: 3, bias: true);
        BatchNorm(graph, random, "B", "B_conv", "B_bn");
        graph.Node.Add(Node("Add", "S", ["B_bn", "A_relu"], "S"));
        graph.Node.Add(Node("Relu", "S_relu", ["S"], "S_relu"));
        var pool = Node("MaxPool", "M", ["S_relu"], "M");
        pool.Attribute.Add(Ints("kernel_shape", 2, 2));
        pool.Attribute.Add(Ints("strides", 2, 2));
        graph.Node.Add(pool);

        Conv(graph, random, "C", "M", inChannels: Channels, kernel: 1, bias: false);
        BatchNorm(graph, random, "C", "C_conv", "C_bn");
        graph.Node.Add(Node("Relu", "C_relu", ["C_bn"], "C_relu"));
        var average = Node("AveragePool", "Y", ["C_relu"], Output);
        average.Attribute.Add(Ints("kernel_shape", 4, 4));
        graph.Node.Add(average);

        // The exporter's shape annotations: folding must drop them (they name tensors it removes).
        graph.ValueInfo.Add(Value("A_conv", [1, Channels, 8, 8]));

        var model = new ModelProto { IrVersion = 3, ProducerName = "tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 8 });
        return model;
    }

    public static byte[] Bytes(int seed = 7) => Create(seed).ToByteArray();

    /// <summary>Seeded inputs in the range of the real model's (0-255 minus a mean).</summary>
    public static float[] RandomInput(int seed)
    {
        var random = new Random(seed);
        var input = new float[3 * 8 * 8];
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = (float)((random.NextDouble() * 255) - 120);
        }

        return input;
    }

    public static float[] Floats(ModelProto model, string initializer) =>
        [.. model.Graph.Initializer.Single(t => t.Name == initializer).FloatData];

    private static void Conv(GraphProto graph, Random random, string name, string input, int inChannels, int kernel, bool bias)
    {
        var weight = Tensor(name + "_W", random, 0.3, [Channels, inChannels, kernel, kernel]);
        graph.Initializer.Add(weight);
        var node = Node("Conv", name + "_conv", bias ? [input, weight.Name, name + "_b"] : [input, weight.Name], name + "_conv");
        if (bias)
        {
            graph.Initializer.Add(Tensor(name + "_b", random, 0.5, [Channels]));
        }

        node.Attribute.Add(Ints("kernel_shape", kernel, kernel));
        var pad = kernel / 2;
        node.Attribute.Add(Ints("pads", pad, pad, pad, pad));
        node.Attribute.Add(Ints("strides", 1, 1));
        node.Attribute.Add(new AttributeProto { Name = "auto_pad", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8("NOTSET") });
        graph.Node.Add(node);
    }

    private static void BatchNorm(GraphProto graph, Random random, string name, string input, string output)
    {
        graph.Initializer.Add(Tensor(name + "_gamma", random, 1.0, [Channels], offset: 1.0));
        graph.Initializer.Add(Tensor(name + "_beta", random, 0.5, [Channels]));
        graph.Initializer.Add(Tensor(name + "_mean", random, 2.0, [Channels]));
        graph.Initializer.Add(Tensor(name + "_var", random, 1.0, [Channels], offset: 1.5));
        var node = Node("BatchNormalization", name + "_bn", [input, name + "_gamma", name + "_beta", name + "_mean", name + "_var"], output);
        node.Attribute.Add(new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = Epsilon });
        node.Attribute.Add(new AttributeProto { Name = "spatial", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(node);
    }

    private static TensorProto Tensor(string name, Random random, double spread, long[] dims, double offset = 0)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        var count = dims.Aggregate(1L, (a, b) => a * b);
        for (var i = 0; i < count; i++)
        {
            tensor.FloatData.Add((float)(offset + ((random.NextDouble() - 0.5) * 2 * spread)));
        }

        return tensor;
    }

    private static NodeProto Node(string opType, string name, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private static ValueInfoProto Value(string name, long[] shape)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = new TensorShapeProto() };
        foreach (var dim in shape)
        {
            tensor.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = dim });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }
}
