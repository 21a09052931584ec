using System.Globalization;
using Fidamia.Core.Models;

namespace Fidamia.Core.Scoring;

/// <summary>Scores a classifier's output: softmax of logits (or probabilities) at the manifest's temperature, mapped onto the taxonomy.</summary>
public sealed class ClassifierScorer : IImageScorer
{
    private readonly Taxonomy.Taxonomy _taxonomy;
    private readonly ModelDescriptor _model;
    private readonly int[] _taxonomyIndex;

    public ClassifierScorer(Taxonomy.Taxonomy taxonomy, ModelDescriptor model)
    {
        if (model.Kind != ModelKind.Classifier)
        {
            throw new ArgumentException($"model {model.Name} is not a classifier", nameof(model));
        }

        _taxonomy = taxonomy;
        _model = model;
        _taxonomyIndex = model.Labels
            .Select(code => taxonomy.Find(code)?.Index
                ?? throw new ArgumentException($"model {model.Name} v{model.Version}: label '{code}' is not in the taxonomy", nameof(model)))
            .ToArray();
    }

    public ImageEvidence Score(ReadOnlySpan<float> modelOutput)
    {
        var scores = Softmax(modelOutput, _model.OutputKind, _model.Temperature);
        var probabilities = new double[_taxonomy.Count];
        for (var i = 0; i < scores.Length; i++)
        {
            probabilities[_taxonomyIndex[i]] += scores[i];
        }

        var best = Array.IndexOf(probabilities, probabilities.Max());
        var reason = string.Create(
            CultureInfo.InvariantCulture,
            $"image: classifier {_model.Name} v{_model.Version} says '{_taxonomy.Labels[best].Code}' (p {probabilities[best]:0.00})");
        return new ImageEvidence(probabilities, Informative: true, [reason]);
    }

    /// <summary>Softmax of <c>logit / T</c>; for probabilities, <c>p^(1/T)</c> renormalised, which is the same thing.</summary>
    public static double[] Softmax(ReadOnlySpan<float> values, ModelOutputKind kind, double temperature)
    {
        var t = temperature > 0 ? temperature : 1.0;
        var logits = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            logits[i] = kind == ModelOutputKind.Probabilities
                ? Math.Log(Math.Max(values[i], 1e-12)) / t
                : values[i] / t;
        }

        var max = logits.Max();
        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = Math.Exp(logits[i] - max);
            sum += logits[i];
        }

        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] /= sum;
        }

        return logits;
    }
}
