using Fidamia.Core.Models;

namespace Fidamia.UnitTests.Core;

public class EvaluationTests
{
    private static readonly string[] Labels = ["a", "b", "c"];

    private static EvaluatedPhoto Photo(int truth, params double[] p) => new($"p{Guid.NewGuid():N}", truth, p);

    [Fact]
    public void Of_HandComputedCase_AccuracyMacroF1ConfusionEceAndAutoRouting()
    {
        EvaluatedPhoto[] photos =
        [
            Photo(0, 0.9, 0.05, 0.05), // a -> a at 0.9
            Photo(0, 0.6, 0.3, 0.1),   // a -> a at 0.6
            Photo(1, 0.7, 0.2, 0.1),   // b -> a at 0.7 (wrong)
            Photo(1, 0.1, 0.85, 0.05), // b -> b at 0.85
        ];

        var report = Evaluation.Of(Labels, photos, _ => 0.8, bins: 10);

        Assert.Equal(0.75, report.Accuracy);
        // a: precision 2/3, recall 1, F1 0.8; b: precision 1, recall 1/2, F1 2/3; c never occurs.
        Assert.Equal((0.8 + (2.0 / 3)) / 2, report.MacroF1, 12);
        Assert.Equal(2, report.Confusion[0, 0]);
        Assert.Equal(1, report.Confusion[1, 0]);
        Assert.Equal(1, report.Confusion[1, 1]);
        Assert.Null(report.PerLabel[2].F1);
        // Bins: 0.9 (right), 0.6 (right), 0.7 (wrong), 0.8 (0.85, right): gaps 0.1, 0.4, 0.7, 0.15, a quarter each.
        Assert.Equal((0.1 + 0.4 + 0.7 + 0.15) / 4, report.ExpectedCalibrationError, 12);
        // At 0.8: the 0.9 and the 0.85 photos are routed, both right.
        Assert.Equal(2, report.AutoRouted);
        Assert.Equal(0.5, report.AutoRoutedShare);
        Assert.Equal(1.0, report.AutoRoutedPrecision);
    }

    [Fact]
    public void Thresholds_LowestConfidenceReachingTheTarget_PerPredictedLabel()
    {
        EvaluatedPhoto[] photos =
        [
            Photo(0, 0.95, 0.05, 0), Photo(0, 0.9, 0.1, 0), Photo(1, 0.8, 0.2, 0), Photo(0, 0.7, 0.3, 0), Photo(0, 0.6, 0.4, 0),
            Photo(0, 0.2, 0.8, 0),
        ];

        var thresholds = ThresholdCalibration.Thresholds(photos, 3, targetPrecision: 0.8);

        // Predicted a, by confidence: right, right, wrong (2/3), right (3/4), right (4/5 = 0.8): down to 0.6.
        Assert.Equal(0.6, thresholds[0]);
        // Predicted b once, wrongly: never reaches the target.
        Assert.Null(thresholds[1]);
        Assert.Null(thresholds[2]);
    }

    [Fact]
    public void FitTemperature_OverconfidentScores_SoftensThem_WellCalibratedStayNearOne()
    {
        // Always very sure, right 3 times out of 4: the fitted temperature must soften (T > 1).
        var logits = new List<double[]> { new[] { 6.0, 0 }, new[] { 6.0, 0 }, new[] { 6.0, 0 }, new[] { 6.0, 0 } };
        int[] truth = [0, 0, 0, 1];

        var t = ThresholdCalibration.FitTemperature(logits, truth);

        // The NLL optimum puts p(right) at 3/4: 6 / T = ln 3.
        Assert.Equal(6 / Math.Log(3), t, 3);
    }
}
