using TinyImage.Core.Spec;

namespace TinyImage.Core.Build.Steps;

/// <summary>A handler for the steps of type <typeparamref name="TStep"/>: a new step is a spec record, a DSL method and one of these.</summary>
internal abstract class StepHandler<TStep> : IStepHandler where TStep : BuildStep
{
    public Type StepType => typeof(TStep);

    public void Apply(BuildStep step, BuildContext context) => Apply((TStep)step, context);

    protected abstract void Apply(TStep step, BuildContext context);
}
