using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary>Applies one kind of <see cref="BuildStep"/> to the image being assembled.</summary>
internal interface IStepHandler
{
    /// <summary>The step record this handler applies.</summary>
    Type StepType { get; }

    void Apply(BuildStep step, BuildContext context);
}
