namespace Fidamia.Core.Models;

/// <summary>One labelled photo as a model scored it: the index of its true label and the model's probabilities, over the same labels.</summary>
public sealed record EvaluatedPhoto(string Name, int TrueLabel, double[] Probabilities)
{
    // Computed on each read: a copy made with `with` and other probabilities must not keep the original's answer.
    public int Predicted => Array.IndexOf(Probabilities, Probabilities.Max());

    public double Confidence => Probabilities[Predicted];

    public bool Correct => Predicted == TrueLabel;
}

public sealed record LabelMetrics(string Label, int Support, int Predicted, int Correct, double? Precision, double? Recall, double? F1);

/// <summary>What <see cref="Evaluation.Of"/> measured.</summary>
/// <param name="Confusion">[true label, predicted label] counts.</param>
/// <param name="ExpectedCalibrationError">Over equal-width confidence bins: the share-weighted gap between confidence and accuracy.</param>
/// <param name="AutoRouted">Photos whose confidence reaches their predicted label's threshold: what the service would route without review.</param>
public sealed record EvaluationReport(
    IReadOnlyList<string> Labels,
    int Photos,
    double Accuracy,
    double MacroF1,
    IReadOnlyList<LabelMetrics> PerLabel,
    int[,] Confusion,
    double ExpectedCalibrationError,
    int AutoRouted,
    double? AutoRoutedPrecision)
{
    public double AutoRoutedShare => Photos > 0 ? AutoRouted / (double)Photos : 0;
}

/// <summary>Classification metrics of a model on labelled photos: pure arithmetic, no I/O.</summary>
public static class Evaluation
{
    /// <param name="threshold">The routing threshold of a label (by index), as the service would apply it.</param>
    public static EvaluationReport Of(IReadOnlyList<string> labels, IReadOnlyList<EvaluatedPhoto> photos, Func<int, double> threshold, int bins = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        var n = labels.Count;
        var confusion = new int[n, n];
        foreach (var photo in photos)
        {
            if (photo.Probabilities.Length != n || photo.TrueLabel < 0 || photo.TrueLabel >= n)
            {
                throw new ArgumentException($"photo '{photo.Name}': its label or its probabilities do not match the {n} labels", nameof(photos));
            }

            confusion[photo.TrueLabel, photo.Predicted]++;
        }

        var perLabel = new List<LabelMetrics>();
        for (var l = 0; l < n; l++)
        {
            var support = Enumerable.Range(0, n).Sum(p => confusion[l, p]);
            var predicted = Enumerable.Range(0, n).Sum(t => confusion[t, l]);
            var correct = confusion[l, l];
            double? precision = predicted > 0 ? correct / (double)predicted : null;
            double? recall = support > 0 ? correct / (double)support : null;
            double? f1 = precision is { } p && recall is { } r ? (p + r > 0 ? 2 * p * r / (p + r) : 0) : (support > 0 || predicted > 0 ? 0 : null);
            perLabel.Add(new LabelMetrics(labels[l], support, predicted, correct, precision, recall, f1));
        }

        // Macro-F1 over the labels that occur, as truth or as prediction.
        var occurring = perLabel.Where(m => m.F1 is not null).ToList();
        var macroF1 = occurring.Count > 0 ? occurring.Average(m => m.F1!.Value) : 0;
        var accuracy = photos.Count > 0 ? photos.Count(p => p.Correct) / (double)photos.Count : 0;

        var ece = 0.0;
        foreach (var bin in photos.GroupBy(p => Math.Min(bins - 1, (int)(p.Confidence * bins))))
        {
            var gap = Math.Abs(bin.Average(p => p.Correct ? 1.0 : 0.0) - bin.Average(p => p.Confidence));
            ece += gap * bin.Count() / photos.Count;
        }

        var routed = photos.Where(p => p.Confidence >= threshold(p.Predicted)).ToList();
        double? routedPrecision = routed.Count > 0 ? routed.Count(p => p.Correct) / (double)routed.Count : null;
        return new EvaluationReport(labels, photos.Count, accuracy, macroF1, perLabel, confusion, ece, routed.Count, routedPrecision);
    }
}

/// <summary>Fits what turns a model's scores into routing decisions of a wanted precision: pure arithmetic, no I/O.</summary>
public static class ThresholdCalibration
{
    public const double MinTemperature = 0.25;
    public const double MaxTemperature = 20;

    /// <summary>
    /// The softmax temperature that minimises the negative log-likelihood of the true labels (golden-section search over
    /// log T in [<see cref="MinTemperature"/>, <see cref="MaxTemperature"/>]): T above 1 softens an over-confident model,
    /// below 1 sharpens a timid one. On photos the model separates perfectly the likelihood only grows as T falls, and the
    /// fit stops at the bound.
    /// </summary>
    /// <param name="logits">Per photo, its scores as logits (log-probabilities for a model that outputs probabilities).</param>
    public static double FitTemperature(IReadOnlyList<double[]> logits, IReadOnlyList<int> truth)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(truth.Count, logits.Count);
        if (logits.Count == 0)
        {
            return 1;
        }

        double Loss(double logT)
        {
            var t = Math.Exp(logT);
            var loss = 0.0;
            for (var i = 0; i < logits.Count; i++)
            {
                var max = logits[i].Max() / t;
                var sum = logits[i].Sum(z => Math.Exp((z / t) - max));
                loss -= (logits[i][truth[i]] / t) - max - Math.Log(sum);
            }

            return loss;
        }

        var (a, b) = (Math.Log(MinTemperature), Math.Log(MaxTemperature));
        var ratio = (Math.Sqrt(5) - 1) / 2;
        var (c, d) = (b - (ratio * (b - a)), a + (ratio * (b - a)));
        for (var i = 0; i < 80; i++)
        {
            if (Loss(c) < Loss(d))
            {
                b = d;
            }
            else
            {
                a = c;
            }

            (c, d) = (b - (ratio * (b - a)), a + (ratio * (b - a)));
        }

        return Math.Exp((a + b) / 2);
    }

    /// <summary>
    /// Per predicted label, the lowest confidence threshold at which the photos predicted as it, and at least that
    /// confident, are right at least <paramref name="targetPrecision"/> of the time: as many auto-routed as the target
    /// allows. Null for a label that never reaches the target (its reports should all go to review), or never predicted.
    /// </summary>
    public static double?[] Thresholds(IReadOnlyList<EvaluatedPhoto> photos, int labels, double targetPrecision)
    {
        var thresholds = new double?[labels];
        foreach (var group in photos.GroupBy(p => p.Predicted))
        {
            var ranked = group.OrderByDescending(p => p.Confidence).ToList();
            var right = 0;
            for (var i = 0; i < ranked.Count; i++)
            {
                right += ranked[i].Correct ? 1 : 0;

                // A threshold between two equal confidences would split them: only where the next one is lower.
                var lastOfItsConfidence = i == ranked.Count - 1 || ranked[i + 1].Confidence < ranked[i].Confidence;
                if (lastOfItsConfidence && right / (double)(i + 1) >= targetPrecision)
                {
                    thresholds[group.Key] = ranked[i].Confidence;
                }
            }
        }

        return thresholds;
    }
}
