using TinyImage.Core.Build;
using TinyImage.Core.Build.Steps;
using TinyImage.Core.Spec;

namespace TinyImage.Tests.HostContent;

/// <summary>One handler per kind of step: a new step record without one fails here, not in a user's build.</summary>
public sealed class StepHandlerTests
{
    [Fact]
    public void Every_build_step_has_exactly_one_handler()
    {
        var steps = typeof(BuildStep).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(BuildStep)) && !t.IsAbstract).ToHashSet();
        var handled = typeof(TreeAssembler).Assembly.GetTypes()
            .Where(t => typeof(IStepHandler).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => ((IStepHandler)Activator.CreateInstance(t)!).StepType)
            .ToList();
        Assert.Equal(handled.Count, handled.Distinct().Count());
        Assert.Equal(steps.OrderBy(t => t.Name), handled.OrderBy(t => t.Name));
    }
}
