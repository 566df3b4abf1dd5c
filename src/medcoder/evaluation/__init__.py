"""medcoder.evaluation"""
